// Where the default data files are: $LIEQ_SHARED_DIR when set, otherwise the shared folder
// fixed when lieq was configured (CMake's LIEQ_SHARED_DIR, default <source>/../shared, stored as
// an absolute path). Never relative to the working directory.
#pragma once

#include <string>

namespace lieq::cli {

std::string SharedDataDir();

// SharedDataDir()/data/tasks: --data-dir of eval.
std::string DefaultTaskDir();

// Said in errors about a default data file that is missing.
std::string SharedDataHint(const std::string& flag);

}  // namespace lieq::cli
