// Token text -> id lookup that takes string_view keys without allocating.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lieq {

class TokenIndex {
 public:
  // Indexes `tokens` (id -> text). For a text that occurs twice the lower id wins.
  void Build(const std::vector<std::string>& tokens);

  // The id of `text`, or -1 when no token has that text.
  int32_t Find(std::string_view text) const {
    auto it = ids_.find(text);
    return it == ids_.end() ? -1 : it->second;
  }

 private:
  struct Hash {
    using is_transparent = void;  // enables find(string_view)
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, int32_t, Hash, std::equal_to<>> ids_;
};

}  // namespace lieq
