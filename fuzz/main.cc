// libFuzzer entry point; LIEQ_FUZZ_TARGET names the function of targets.h this binary fuzzes.
#include <cstddef>
#include <cstdint>

#include "targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lieq::fuzz::LIEQ_FUZZ_TARGET(data, size);
  return 0;
}
