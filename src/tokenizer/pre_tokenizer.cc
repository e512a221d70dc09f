#include "tokenizer/pre_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <array>
#include <utility>

#include "tokenizer/utf8.h"

namespace lieq {
namespace {

// The patterns exactly as the models' tokenizer.json files spell them (Qwen2/Qwen3 and
// Llama-3 Split regexes; GPT-2's is the one Hugging Face's ByteLevel uses with use_regex).
// Qwen splits digits one by one, Llama-3 in groups of up to three.
constexpr std::string_view kQwen2Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kLlama3Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kGpt2Regex =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

struct NamedRegex {
  std::string_view name;
  std::string_view regex;
};

// The first entry for a regex is the name PreTokenizerNameForRegex reports.
constexpr std::array<NamedRegex, 7> kPreTokenizers = {{
    {"qwen2", kQwen2Regex},
    {"deepseek-r1-qwen", kQwen2Regex},
    {"llama-bpe", kLlama3Regex},
    {"llama3", kLlama3Regex},
    {"llama-v3", kLlama3Regex},
    {"gpt2", kGpt2Regex},
    {"default", kGpt2Regex},
}};

std::string Pcre2Message(int code) {
  std::array<PCRE2_UCHAR, 256> buffer{};
  pcre2_get_error_message(code, buffer.data(), buffer.size());
  return reinterpret_cast<const char*>(buffer.data());
}

}  // namespace

std::string_view PreTokenizerRegex(std::string_view name) {
  for (const NamedRegex& p : kPreTokenizers) {
    if (p.name == name) return p.regex;
  }
  return {};
}

std::string_view PreTokenizerNameForRegex(std::string_view regex) {
  for (const NamedRegex& p : kPreTokenizers) {
    if (p.regex == regex) return p.name;
  }
  return {};
}

Result<PreTokenizer> PreTokenizer::Create(std::string_view name) {
  const std::string_view regex = PreTokenizerRegex(name);
  if (regex.empty()) {
    std::string known;
    for (const NamedRegex& p : kPreTokenizers) {
      known += (known.empty() ? "" : ", ") + std::string(p.name);
    }
    return Unimplemented("pre-tokenizer '" + std::string(name) +
                         "' is not supported (known: " + known + ")");
  }
  int error = 0;
  PCRE2_SIZE error_offset = 0;
  // UCP makes \s, \p{L} and friends Unicode-aware, as in the Hugging Face (Oniguruma) engine.
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(regex.data()), regex.size(),
                                   PCRE2_UTF | PCRE2_UCP, &error, &error_offset, nullptr);
  if (code == nullptr) {
    return Unimplemented("pre-tokenizer '" + std::string(name) + "': PCRE2 rejects its regex at " +
                         std::to_string(error_offset) + ": " + Pcre2Message(error));
  }
  // JIT is an optimisation only: without it (e.g. no JIT support) pcre2_match interprets.
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  PreTokenizer p;
  p.name_ = std::string(name);
  p.code_ = std::shared_ptr<const pcre2_code>(
      code, [](const pcre2_code* c) { pcre2_code_free(const_cast<pcre2_code*>(c)); });
  return p;
}

Status PreTokenizer::Split(std::string_view text, std::vector<std::string_view>* pieces) const {
  // Match data is per call so that one PreTokenizer can serve many threads.
  std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> match(
      pcre2_match_data_create_from_pattern(code_.get(), nullptr), &pcre2_match_data_free);
  if (!match) return IoError("pre-tokenizer: out of memory for PCRE2 match data");
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t emitted = 0;  // text before this offset is in `pieces`
  size_t search = 0;   // where the next match may start
  while (search < text.size()) {
    // NO_UTF_CHECK: the caller validated the text; without it PCRE2 would re-check the whole
    // subject on every call, which is quadratic over a long text.
    const int rc = pcre2_match(code_.get(), subject, text.size(), search, PCRE2_NO_UTF_CHECK,
                               match.get(), nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) return IoError("pre-tokenizer '" + name_ + "': " + Pcre2Message(rc));
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match.get());
    const size_t start = ovector[0];
    const size_t end = ovector[1];
    if (end > start) {
      if (start > emitted) pieces->push_back(text.substr(emitted, start - emitted));  // gap
      pieces->push_back(text.substr(start, end - start));
      emitted = search = end;
    } else {
      // An empty match would repeat forever: search again one character later; the skipped
      // character stays in the gap.
      if (start >= text.size()) break;
      search = start + Utf8SequenceLength(text, start);
    }
  }
  if (emitted < text.size()) pieces->push_back(text.substr(emitted));
  return Status::Ok();
}

}  // namespace lieq
