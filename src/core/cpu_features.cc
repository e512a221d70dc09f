#include "core/cpu_features.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#elif defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace lieq {

bool CpuFeatures::Has(const std::string& flag) const {
  return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

#if defined(__x86_64__) || defined(__i386__)
namespace {

struct CpuidRegs {
  uint32_t a = 0, b = 0, c = 0, d = 0;
};

CpuidRegs Cpuid(uint32_t leaf, uint32_t subleaf = 0) {
  CpuidRegs r;
  __cpuid_count(leaf, subleaf, r.a, r.b, r.c, r.d);
  return r;
}

// Which register of which leaf holds a flag, and its bit.
struct FlagBit {
  const char* name;
  uint32_t leaf, subleaf;
  char reg;  // 'b', 'c' or 'd'
  int bit;
};

constexpr FlagBit kFlags[] = {
    {"sse3", 1, 0, 'c', 0},           {"ssse3", 1, 0, 'c', 9},
    {"fma", 1, 0, 'c', 12},           {"sse4_1", 1, 0, 'c', 19},
    {"sse4_2", 1, 0, 'c', 20},        {"popcnt", 1, 0, 'c', 23},
    {"aes", 1, 0, 'c', 25},           {"avx", 1, 0, 'c', 28},
    {"f16c", 1, 0, 'c', 29},          {"bmi1", 7, 0, 'b', 3},
    {"avx2", 7, 0, 'b', 5},           {"bmi2", 7, 0, 'b', 8},
    {"avx512f", 7, 0, 'b', 16},       {"avx512dq", 7, 0, 'b', 17},
    {"avx512ifma", 7, 0, 'b', 21},    {"avx512cd", 7, 0, 'b', 28},
    {"avx512bw", 7, 0, 'b', 30},      {"avx512vl", 7, 0, 'b', 31},
    {"avx512vbmi", 7, 0, 'c', 1},     {"avx512_vbmi2", 7, 0, 'c', 6},
    {"gfni", 7, 0, 'c', 8},           {"vaes", 7, 0, 'c', 9},
    {"vpclmulqdq", 7, 0, 'c', 10},    {"avx512_vnni", 7, 0, 'c', 11},
    {"avx512_bitalg", 7, 0, 'c', 12}, {"avx512_vpopcntdq", 7, 0, 'c', 14},
    {"amx_bf16", 7, 0, 'd', 22},      {"avx512_fp16", 7, 0, 'd', 23},
    {"amx_tile", 7, 0, 'd', 24},      {"amx_int8", 7, 0, 'd', 25},
    {"avx_vnni", 7, 1, 'a', 4},       {"avx512_bf16", 7, 1, 'a', 5},
};

// AVX and AVX-512 state must also be enabled by the OS (XCR0), or the instructions fault.
uint64_t EnabledXState() {
  if (!(Cpuid(1).c & (1u << 27))) return 0;  // no OSXSAVE
  uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (uint64_t{hi} << 32) | lo;
}

bool NeedsXState(const std::string& name) {
  return name.rfind("avx", 0) == 0 || name == "fma" || name == "f16c" || name == "vaes" ||
         name == "vpclmulqdq" || name == "gfni" || name.rfind("amx", 0) == 0;
}

}  // namespace

CpuFeatures DetectCpuFeatures() {
  CpuFeatures f;
  f.arch = "x86_64";
  const CpuidRegs v = Cpuid(0);
  const uint32_t max_leaf = v.a;
  char vendor[13] = {};
  std::memcpy(vendor, &v.b, 4);
  std::memcpy(vendor + 4, &v.d, 4);
  std::memcpy(vendor + 8, &v.c, 4);
  f.vendor = vendor;
  const CpuidRegs id = Cpuid(1);
  const int base_family = (id.a >> 8) & 0xf, base_model = (id.a >> 4) & 0xf;
  f.family = base_family == 0xf ? base_family + static_cast<int>((id.a >> 20) & 0xff) : base_family;
  f.model = (base_family == 0x6 || base_family == 0xf)
                ? static_cast<int>(((id.a >> 16) & 0xf) << 4) + base_model
                : base_model;
  if (Cpuid(0x80000000).a >= 0x80000004) {
    char brand[49] = {};
    for (uint32_t i = 0; i < 3; ++i) {
      const CpuidRegs r = Cpuid(0x80000002 + i);
      std::memcpy(brand + 16 * i, &r, 16);
    }
    f.model_name = brand;
    while (!f.model_name.empty() && f.model_name.back() == ' ') f.model_name.pop_back();
  }
  const uint64_t xcr0 = EnabledXState();
  const bool avx_state = (xcr0 & 0x6) == 0x6;               // XMM + YMM
  const bool avx512_state = avx_state && (xcr0 & 0xe0) == 0xe0;  // opmask + ZMM
  const bool amx_state = (xcr0 & 0x60000) == 0x60000;       // TILECFG + TILEDATA
  for (const FlagBit& flag : kFlags) {
    if (flag.leaf > max_leaf) continue;
    const CpuidRegs r = Cpuid(flag.leaf, flag.subleaf);
    const uint32_t reg = flag.reg == 'a' ? r.a : flag.reg == 'b' ? r.b : flag.reg == 'c' ? r.c : r.d;
    if (!(reg & (1u << flag.bit))) continue;
    const std::string name = flag.name;
    if (NeedsXState(name)) {
      const bool is512 = name.rfind("avx512", 0) == 0;
      const bool amx = name.rfind("amx", 0) == 0;
      if (amx ? !amx_state : is512 ? !avx512_state : !avx_state) continue;
    }
    f.flags.push_back(name);
  }
  return f;
}

#elif defined(__aarch64__) && defined(__linux__)

CpuFeatures DetectCpuFeatures() {
  CpuFeatures f;
  f.arch = "aarch64";
  const unsigned long hw = getauxval(AT_HWCAP);
  if (hw & HWCAP_ASIMD) f.flags.push_back("asimd");
  if (hw & HWCAP_ASIMDHP) f.flags.push_back("asimdhp");
  if (hw & HWCAP_ASIMDDP) f.flags.push_back("asimddp");
  if (hw & HWCAP_SVE) f.flags.push_back("sve");
#if defined(HWCAP2_SVE2) && defined(HWCAP2_I8MM) && defined(HWCAP2_BF16)
  const unsigned long hw2 = getauxval(AT_HWCAP2);
  if (hw2 & HWCAP2_SVE2) f.flags.push_back("sve2");
  if (hw2 & HWCAP2_I8MM) f.flags.push_back("i8mm");
  if (hw2 & HWCAP2_BF16) f.flags.push_back("bf16");
#endif
  return f;
}

#else

CpuFeatures DetectCpuFeatures() {
  CpuFeatures f;
  f.arch = "other";
  return f;
}

#endif

}  // namespace lieq
