#include "io/tokenizer_source.h"

#include <filesystem>

#include "io/gguf_model.h"
#include "io/gguf_reader.h"
#include "tokenizer/tokenizer_json.h"

namespace lieq {

Result<TokenizerSpec> LoadTokenizerSpec(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    const std::string json = (fs::path(path) / "tokenizer.json").string();
    if (!fs::exists(json)) return NotFound(path + ": folder has no tokenizer.json");
    return LoadTokenizerJson(json);
  }
  if (!fs::exists(path, ec)) return NotFound(path + ": no such file or folder");
  if (fs::path(path).extension() == ".gguf") {
    LIEQ_ASSIGN_OR_RETURN(GgufFile gguf, GgufFile::Open(path));
    return TokenizerSpecFromGguf(gguf);
  }
  return LoadTokenizerJson(path);
}

}  // namespace lieq
