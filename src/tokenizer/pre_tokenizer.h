// Regex pre-tokenizers of byte-level BPE tokenizers, named as llama.cpp names them in GGUF's
// tokenizer.ggml.pre, so that tokenizer.json and GGUF files share one implementation. The text
// is cut into the regex's matches plus the gaps between them (Hugging Face's Split with
// "Isolated" behaviour); BPE then runs on each piece separately.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

struct pcre2_real_code_8;  // PCRE2's compiled pattern (pcre2_code with 8-bit code units)

namespace lieq {

// The regex for a pre-tokenizer name ("qwen2", "deepseek-r1-qwen", "llama-bpe" with its older
// spellings "llama3" and "llama-v3", "gpt2", "default"), or "" when the name is unknown.
std::string_view PreTokenizerRegex(std::string_view name);

// The name for a Hugging Face Split regex, or "" when it is none of the known ones.
std::string_view PreTokenizerNameForRegex(std::string_view regex);

class PreTokenizer {
 public:
  // Fails with kUnimplemented for a name PreTokenizerRegex does not know.
  static Result<PreTokenizer> Create(std::string_view name);

  // Appends the pieces of well-formed UTF-8 `text` (views into it, in order, covering it all)
  // to `pieces`. Fails only if PCRE2 itself reports an error.
  Status Split(std::string_view text, std::vector<std::string_view>* pieces) const;

  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::shared_ptr<const pcre2_real_code_8> code_;  // immutable after compilation, so shareable
};

}  // namespace lieq
