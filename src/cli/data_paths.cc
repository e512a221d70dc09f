#include "cli/data_paths.h"

#include <cstdlib>

#ifndef LIEQ_DEFAULT_SHARED_DIR
#define LIEQ_DEFAULT_SHARED_DIR ""
#endif

namespace lieq::cli {

std::string SharedDataDir() {
  const char* env = std::getenv("LIEQ_SHARED_DIR");
  if (env != nullptr && *env != '\0') return env;
  return LIEQ_DEFAULT_SHARED_DIR;
}

std::string DefaultTaskDir() { return SharedDataDir() + "/data/tasks"; }

std::string SharedDataHint(const std::string& flag) {
  return "give " + flag + ", or set LIEQ_SHARED_DIR to the shared data folder (now " +
         SharedDataDir() + ")";
}

}  // namespace lieq::cli
