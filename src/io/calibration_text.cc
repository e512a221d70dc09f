#include "io/calibration_text.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/mapped_file.h"
#include "tokenizer/utf8.h"

namespace lieq {
namespace fs = std::filesystem;
namespace {

bool IsJsonLines(const std::string& path) {
  const std::string ext = fs::path(path).extension().string();
  return ext == ".jsonl" || ext == ".json";
}

// One line of a JSON-lines input: appends its "text" (skips a blank line).
Status ParseJsonLine(std::string_view line, const std::string& where,
                     std::vector<std::string>* docs) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.find_first_not_of(" \t") == std::string_view::npos) return Status::Ok();
  const Status utf8 = ValidateUtf8(line);
  if (!utf8.ok()) return InvalidArgument(where + ": " + utf8.message() + " of the line");
  const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument(where + ": not valid JSON");
  if (!j.is_object() || !j.contains("text") || !j["text"].is_string()) {
    return InvalidArgument(where + ": no string field \"text\"");
  }
  docs->push_back(j["text"].get<std::string>());
  return Status::Ok();
}

// JSON lines from a file, a chunk at a time: a 10 GB corpus of which 500 documents are used
// is not read whole. `budget` is the byte allowance left for the whole input.
Status ReadJsonLinesFile(const std::string& path, int64_t max_docs, uint64_t* budget,
                         std::vector<std::string>* docs) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return NotFound(path + ": cannot open: " + std::strerror(errno));
  std::string pending;
  char chunk[1 << 16];
  int64_t line_number = 0;
  Status status;
  bool eof = false;
  while (status.ok() && !eof && (max_docs == 0 || static_cast<int64_t>(docs->size()) < max_docs)) {
    const size_t n = std::fread(chunk, 1, sizeof(chunk), f);
    if (n == 0) {
      eof = true;
      if (std::ferror(f)) status = IoError(path + ": read error");
    } else if (n > *budget) {
      status =
          InvalidArgument(path + ": more than the " + std::to_string(kMaxTextFileBytes >> 20) +
                          " MiB lieq reads from one text input (an endless device or stream?)");
      break;
    } else {
      *budget -= n;
      pending.append(chunk, n);
    }
    size_t start = 0;
    for (size_t nl; status.ok() && (nl = pending.find('\n', start)) != std::string::npos;
         start = nl + 1) {
      if (max_docs > 0 && static_cast<int64_t>(docs->size()) >= max_docs) break;
      ++line_number;
      status = ParseJsonLine(std::string_view(pending).substr(start, nl - start),
                             path + ":" + std::to_string(line_number), docs);
    }
    pending.erase(0, start);
    if (eof && status.ok() && !pending.empty() &&
        (max_docs == 0 || static_cast<int64_t>(docs->size()) < max_docs)) {
      status = ParseJsonLine(pending, path + ":" + std::to_string(line_number + 1), docs);
    }
  }
  std::fclose(f);
  return status;
}

Status ReadOneInput(const std::string& path, int64_t max_docs, uint64_t* budget,
                    std::vector<std::string>* docs) {
  if (IsJsonLines(path)) return ReadJsonLinesFile(path, max_docs, budget, docs);
  LIEQ_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path, *budget));
  *budget -= std::min<uint64_t>(*budget, text.size());
  LIEQ_ASSIGN_OR_RETURN(std::vector<std::string> one,
                        ParseCalibrationDocuments(text, false, path, 1));
  for (std::string& d : one) docs->push_back(std::move(d));
  return Status::Ok();
}

}  // namespace

Result<std::vector<std::string>> ParseCalibrationDocuments(std::string_view bytes, bool json_lines,
                                                           const std::string& name,
                                                           int64_t max_docs) {
  std::vector<std::string> docs;
  if (!json_lines) {
    const Status utf8 = ValidateUtf8(bytes);
    if (!utf8.ok()) return InvalidArgument(name + ": " + utf8.message());
    if (!bytes.empty()) docs.emplace_back(bytes);
    return docs;
  }
  int64_t line_number = 0;
  size_t start = 0;
  while (start < bytes.size() && (max_docs == 0 || static_cast<int64_t>(docs.size()) < max_docs)) {
    const size_t nl = std::min(bytes.find('\n', start), bytes.size());
    ++line_number;
    LIEQ_RETURN_IF_ERROR(ParseJsonLine(bytes.substr(start, nl - start),
                                       name + ":" + std::to_string(line_number), &docs));
    start = nl + 1;
  }
  return docs;
}

Result<std::vector<std::string>> ReadCalibrationDocuments(const std::string& path,
                                                          int64_t max_docs) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return NotFound(path + ": cannot open: " + std::strerror(errno));
  }
  uint64_t budget = kMaxTextFileBytes;
  std::vector<std::string> docs;
  if (!S_ISDIR(st.st_mode)) {
    LIEQ_RETURN_IF_ERROR(ReadOneInput(path, max_docs, &budget, &docs));
    return docs;
  }
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) files.push_back(it->path().string());
  }
  if (ec) return IoError(path + ": cannot list the folder: " + ec.message());
  if (files.empty()) return InvalidArgument(path + ": the folder holds no files");
  std::sort(files.begin(), files.end());
  for (const std::string& file : files) {
    if (max_docs > 0 && static_cast<int64_t>(docs.size()) >= max_docs) break;
    const int64_t left = max_docs > 0 ? max_docs - static_cast<int64_t>(docs.size()) : 0;
    LIEQ_RETURN_IF_ERROR(ReadOneInput(file, left, &budget, &docs));
  }
  return docs;
}

}  // namespace lieq
