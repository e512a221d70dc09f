#include "tokenizer/token_index.h"

namespace lieq {

void TokenIndex::Build(const std::vector<std::string>& tokens) {
  ids_.clear();
  ids_.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) ids_.emplace(tokens[i], static_cast<int32_t>(i));
}

}  // namespace lieq
