// Hugging Face tokenizer.json (+ tokenizer_config.json) -> TokenizerSpec.
//
// Supported: model "BPE" with
//  - byte-level pre-tokenization (Split regex of Qwen2/Qwen3 or Llama-3 followed by ByteLevel,
//    or ByteLevel with GPT-2's built-in regex), optional NFC normaliser;
//  - SentencePiece style (Llama-2): normaliser Prepend("▁") + Replace(" " -> "▁") or a
//    Metaspace pre-tokenizer that does not split, byte_fallback "<0xHH>" tokens. Scores are
//    filled in as -rank of the merge that forms each token (tokens no merge forms score below
//    every merge) so a GGUF written from the spec merges like the original.
// Merges may be "left right" strings or [left, right] pairs. added_tokens become control
// (special) or user-defined (not special) tokens; their lstrip/rstrip/single_word flags are
// kept. `pre` is llama.cpp's name for the Split regex ("qwen2", "llama-bpe", "gpt2").
// tokenizer_config.json, when it sits beside tokenizer.json, overrides add_bos_token,
// add_eos_token and the bos/eos/pad/unk tokens, and supplies chat_template; without it BOS/EOS
// come from the post-processor's TemplateProcessing, if any.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "tokenizer/tokenizer_spec.h"

namespace lieq {

// Errors name the file and the problem: kNotFound for a missing file, kDataLoss for bad JSON or
// inconsistent contents (a merge naming an unknown token, duplicate ids, ...), kUnimplemented
// for valid files this loader does not support (model type "Unigram", an unknown regex, ...).
Result<TokenizerSpec> LoadTokenizerJson(const std::string& path);

// The same for texts already in memory. `config_json` empty means there is no
// tokenizer_config.json. `path` and `config_path` only name the sources in errors.
Result<TokenizerSpec> ParseTokenizerJson(std::string_view json, const std::string& path,
                                         std::string_view config_json = {},
                                         const std::string& config_path = {});

}  // namespace lieq
