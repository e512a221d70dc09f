// File outputs are written to "<path>.tmp-<pid>" and renamed into place only when complete,
// so an interrupted run never leaves a file that looks valid. Only a regular file is ever
// replaced (core/output_path.h); errors say what the system said ("no space left on device").
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace lieq {

struct WriteOptions {
  bool overwrite = false;  // --force
};

// `write` receives an open FILE*; a non-OK status or a short write discards the file.
Status WriteFileAtomically(const std::string& path, const WriteOptions& options,
                           const std::function<Status(std::FILE*)>& write);

Status WriteTextFileAtomically(const std::string& path, std::string_view text,
                               const WriteOptions& options);

// CheckOutputPath(path, kFile, overwrite): call before long work starts.
Status CheckOutputWritable(const std::string& path, const WriteOptions& options);

}  // namespace lieq
