// Helpers shared by the tests.
#pragma once

#include <string>

namespace lieq::testing {

// ../shared as configured (or $LIEQ_SHARED_DIR). Fails the calling test with a clear message when the
// folder is missing: tests that need the data must never pass silently without it.
std::string SharedDir();

// The repository root (where models/ lives), fixed at configure time.
std::string RepoDir();

// Path to the built `lieq` executable (or $LIEQ_BINARY).
std::string LieqBinary();

// A fresh, empty temporary directory, removed at process exit.
std::string TempDir();

// True in a build with AddressSanitizer (build-asan, build-fuzz). ASan reserves terabytes of
// shadow address space at start, so a process under `ulimit -v` cannot start at all there: tests
// of address-space limits skip those cases in such a build.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif
#else
inline constexpr bool kAddressSanitizer = false;
#endif

// Runs a shell command; returns its exit status and fills `output` with stdout+stderr.
int RunCommand(const std::string& command, std::string* output);

// `lieq ARGS` (LieqBinary()): its exit status and stdout+stderr.
struct LieqRun {
  int code = -1;
  std::string output;
  bool Has(const std::string& text) const { return output.find(text) != std::string::npos; }
};
LieqRun RunLieq(const std::string& args);

}  // namespace lieq::testing
