// llama_logits: the reference peer's logits for a token sequence, for comparison with lieq.
//
//   llama_logits MODEL.gguf --tokens 1,2,3 -o OUT.f32 [--threads N] [--flash-attn off|on|auto]
//   llama_logits MODEL.gguf --tokens-file IDS.txt -o OUT.f32
//   llama_logits MODEL.gguf --dump-tokens TEXT [--no-add-special] [--parse-special]
//   llama_logits MODEL.gguf --dump-tokens-file TEXT.txt [--no-add-special] [--parse-special]
//
// The dump mode prints llama.cpp's tokenization of TEXT as comma-separated ids on stdout; by
// default with add_special=true and parse_special=false, as llama-perplexity tokenizes.
//
// The logits mode evaluates all tokens in ONE llama_decode call (one batch, one ubatch, positions
// 0..n-1 of sequence 0) with an output for every position, and writes them as raw little-endian
// float32 [n_tokens x n_vocab], row-major. The KV cache is F32 so that no F16 rounding of K and V
// enters; flash attention is off by default (the CPU flash-attention kernel rounds: max |dlogit|
// 7.8e-4 on a tiny F32 model, against ~1e-6 without it). Weights stay as stored in the GGUF.
//
// Built against the peer's libllama by scripts/peer/build_llamacpp.sh; uses only llama.h.

#include <algorithm>
#include <bit>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "llama.h"

namespace {

// A failed step: the message names the file or argument and the problem.
struct Error {
  std::string message;
};

struct Options {
  std::string model_path;
  std::optional<std::string> tokens_arg;      // "1,2,3" from --tokens
  std::optional<std::string> tokens_file;     // --tokens-file
  std::optional<std::string> dump_text;       // --dump-tokens
  std::optional<std::string> dump_text_file;  // --dump-tokens-file
  std::string out_path;                       // -o
  int threads = 0;                            // 0 = all hardware threads
  llama_flash_attn_type flash_attn = LLAMA_FLASH_ATTN_TYPE_DISABLED;
  bool add_special = true;     // BOS/EOS as the model's metadata asks, like llama-perplexity
  bool parse_special = false;  // as llama-perplexity's common_tokenize(ctx, text, true)
  bool verbose = false;
};

constexpr const char* kUsage =
    "usage: llama_logits MODEL.gguf (--tokens ID,ID,... | --tokens-file PATH) -o OUT.f32\n"
    "                    [--threads N] [--flash-attn off|on|auto] [--verbose]\n"
    "       llama_logits MODEL.gguf (--dump-tokens TEXT | --dump-tokens-file PATH)\n"
    "                    [--no-add-special] [--parse-special] [--verbose]\n";

// Parses a non-negative decimal integer that fits in int32; nullopt on anything else.
std::optional<int32_t> ParseId(const std::string& s) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v > INT32_MAX) return std::nullopt;
  return static_cast<int32_t>(v);
}

// Token ids separated by commas and/or whitespace. `where` names the source in messages.
bool ParseIds(const std::string& text, const std::string& where, std::vector<llama_token>* ids,
              Error* err) {
  std::string cur;
  auto flush = [&]() -> bool {
    if (cur.empty()) return true;
    std::optional<int32_t> id = ParseId(cur);
    if (!id) {
      err->message = where + ": '" + cur + "' is not a token id (a non-negative 32-bit integer)";
      return false;
    }
    ids->push_back(*id);
    cur.clear();
    return true;
  };
  for (char c : text) {
    if (c == ',' || c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      if (!flush()) return false;
    } else {
      cur.push_back(c);
    }
  }
  if (!flush()) return false;
  if (ids->empty()) {
    err->message = where + ": no token ids";
    return false;
  }
  return true;
}

bool ReadFile(const std::string& path, std::string* out, Error* err) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    err->message = path + ": cannot open (" + std::strerror(errno) + ")";
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    err->message = path + ": read error";
    return false;
  }
  *out = ss.str();
  return true;
}

bool ParseArgs(int argc, char** argv, Options* opt, Error* err) {
  auto need_value = [&](int i) -> bool {
    if (i + 1 >= argc) {
      err->message = std::string("argument ") + argv[i] + " needs a value";
      return false;
    }
    return true;
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--tokens" || a == "--tokens-file" || a == "--dump-tokens" ||
        a == "--dump-tokens-file" || a == "-o" || a == "--threads" || a == "--flash-attn") {
      if (!need_value(i)) return false;
      std::string v = argv[++i];
      if (a == "--tokens") {
        opt->tokens_arg = v;
      } else if (a == "--tokens-file") {
        opt->tokens_file = v;
      } else if (a == "--dump-tokens") {
        opt->dump_text = v;
      } else if (a == "--dump-tokens-file") {
        opt->dump_text_file = v;
      } else if (a == "-o") {
        opt->out_path = v;
      } else if (a == "--threads") {
        std::optional<int32_t> n = ParseId(v);
        if (!n || *n < 1 || *n > 1024) {
          err->message = "--threads: '" + v + "' is not a thread count in 1..1024";
          return false;
        }
        opt->threads = *n;
      } else {
        if (v == "off") {
          opt->flash_attn = LLAMA_FLASH_ATTN_TYPE_DISABLED;
        } else if (v == "on") {
          opt->flash_attn = LLAMA_FLASH_ATTN_TYPE_ENABLED;
        } else if (v == "auto") {
          opt->flash_attn = LLAMA_FLASH_ATTN_TYPE_AUTO;
        } else {
          err->message = "--flash-attn: '" + v + "' is not one of off, on, auto";
          return false;
        }
      }
    } else if (a == "--parse-special") {
      opt->parse_special = true;
    } else if (a == "--no-add-special") {
      opt->add_special = false;
    } else if (a == "--verbose") {
      opt->verbose = true;
    } else if (a == "-h" || a == "--help") {
      err->message = "";
      return false;
    } else if (!a.empty() && a[0] == '-') {
      err->message = "unknown argument " + a;
      return false;
    } else if (opt->model_path.empty()) {
      opt->model_path = a;
    } else {
      err->message = "unexpected argument '" + a + "' (the model is " + opt->model_path + ")";
      return false;
    }
  }
  const int modes = opt->tokens_arg.has_value() + opt->tokens_file.has_value() +
                    opt->dump_text.has_value() + opt->dump_text_file.has_value();
  if (opt->model_path.empty()) {
    err->message = "no model file given";
    return false;
  }
  if (modes != 1) {
    err->message = "give exactly one of --tokens, --tokens-file, --dump-tokens, --dump-tokens-file";
    return false;
  }
  const bool logits_mode = opt->tokens_arg || opt->tokens_file;
  if (logits_mode && opt->out_path.empty()) {
    err->message = "logits mode needs -o OUT.f32";
    return false;
  }
  return true;
}

// llama.cpp logs model loading in detail; by default only its warnings and errors get through.
struct LogFilter {
  bool verbose = false;
  ggml_log_level last = GGML_LOG_LEVEL_NONE;  // the level a CONT(inuation) message belongs to
};

void FilterLog(ggml_log_level level, const char* text, void* user_data) {
  LogFilter* filter = static_cast<LogFilter*>(user_data);
  if (level != GGML_LOG_LEVEL_CONT) filter->last = level;
  const ggml_log_level effective = filter->last;
  if (filter->verbose || effective == GGML_LOG_LEVEL_WARN || effective == GGML_LOG_LEVEL_ERROR) {
    std::fputs(text, stderr);
  }
}

// Owns the model and context; frees them in the right order on every path.
struct Peer {
  llama_model* model = nullptr;
  llama_context* ctx = nullptr;
  ~Peer() {
    if (ctx) llama_free(ctx);
    if (model) llama_model_free(model);
  }
};

bool LoadModel(const Options& opt, bool vocab_only, Peer* peer, Error* err) {
  llama_model_params mp = llama_model_default_params();
  mp.n_gpu_layers = 0;  // the peer is a CPU reference
  mp.vocab_only = vocab_only;
  peer->model = llama_model_load_from_file(opt.model_path.c_str(), mp);
  if (!peer->model) {
    err->message = opt.model_path + ": llama.cpp could not load the model (see its log above)";
    return false;
  }
  return true;
}

int DumpTokens(const Options& opt) {
  Error err;
  std::string text;
  if (opt.dump_text) {
    text = *opt.dump_text;
  } else if (!ReadFile(*opt.dump_text_file, &text, &err)) {
    std::fprintf(stderr, "llama_logits: %s\n", err.message.c_str());
    return 1;
  }
  if (text.size() > static_cast<size_t>(INT32_MAX / 2)) {
    std::fprintf(stderr, "llama_logits: the text is too long for llama_tokenize\n");
    return 1;
  }
  Peer peer;
  if (!LoadModel(opt, /*vocab_only=*/true, &peer, &err)) {
    std::fprintf(stderr, "llama_logits: %s\n", err.message.c_str());
    return 1;
  }
  const llama_vocab* vocab = llama_model_get_vocab(peer.model);
  const int32_t len = static_cast<int32_t>(text.size());
  // A first guess of one token per byte plus specials; llama_tokenize returns -needed if short.
  std::vector<llama_token> ids(static_cast<size_t>(len) + 8);
  int32_t n = llama_tokenize(vocab, text.data(), len, ids.data(), static_cast<int32_t>(ids.size()),
                             opt.add_special, opt.parse_special);
  if (n < 0 && n != INT32_MIN) {
    ids.resize(static_cast<size_t>(-n));
    n = llama_tokenize(vocab, text.data(), len, ids.data(), static_cast<int32_t>(ids.size()),
                       opt.add_special, opt.parse_special);
  }
  if (n < 0) {
    std::fprintf(stderr, "llama_logits: llama_tokenize failed (%d)\n", n);
    return 1;
  }
  std::string line;
  for (int32_t i = 0; i < n; ++i) {
    if (i) line.push_back(',');
    line += std::to_string(ids[static_cast<size_t>(i)]);
  }
  std::printf("%s\n", line.c_str());
  std::fprintf(stderr, "n_tokens=%d\n", n);
  return 0;
}

// Writes the logits to `path` via a temporary file and rename, so a reader never sees half.
bool WriteLogits(const std::string& path, const std::vector<float>& data, Error* err) {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) {
    err->message = tmp + ": cannot create (" + std::strerror(errno) + ")";
    return false;
  }
  const size_t written = std::fwrite(data.data(), sizeof(float), data.size(), f);
  const bool closed = std::fclose(f) == 0;
  if (written != data.size() || !closed) {
    err->message = tmp + ": write failed (" + std::strerror(errno) + ")";
    std::remove(tmp.c_str());
    return false;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    err->message =
        path + ": cannot rename the temporary file into place (" + std::strerror(errno) + ")";
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

int Logits(const Options& opt) {
  // The output format is little-endian float32; byte-swapping is not implemented.
  static_assert(std::endian::native == std::endian::little,
                "llama_logits needs a little-endian host");
  Error err;
  std::vector<llama_token> tokens;
  if (opt.tokens_arg) {
    if (!ParseIds(*opt.tokens_arg, "--tokens", &tokens, &err)) {
      std::fprintf(stderr, "llama_logits: %s\n", err.message.c_str());
      return 1;
    }
  } else {
    std::string text;
    if (!ReadFile(*opt.tokens_file, &text, &err) ||
        !ParseIds(text, *opt.tokens_file, &tokens, &err)) {
      std::fprintf(stderr, "llama_logits: %s\n", err.message.c_str());
      return 1;
    }
  }
  // One ubatch holds all tokens; larger inputs would need a compute graph far beyond this tool's
  // purpose (short comparison windows).
  constexpr size_t kMaxTokens = 1 << 20;
  if (tokens.size() > kMaxTokens) {
    std::fprintf(stderr, "llama_logits: %zu tokens, at most %zu in one batch\n", tokens.size(),
                 kMaxTokens);
    return 1;
  }
  const int32_t n_tokens = static_cast<int32_t>(tokens.size());

  Peer peer;
  if (!LoadModel(opt, /*vocab_only=*/false, &peer, &err)) {
    std::fprintf(stderr, "llama_logits: %s\n", err.message.c_str());
    return 1;
  }
  const llama_vocab* vocab = llama_model_get_vocab(peer.model);
  const int32_t n_vocab = llama_vocab_n_tokens(vocab);
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] >= n_vocab) {
      std::fprintf(stderr, "llama_logits: token %zu is %d, outside the vocabulary of %d in %s\n", i,
                   tokens[i], n_vocab, opt.model_path.c_str());
      return 1;
    }
  }

  llama_context_params cp = llama_context_default_params();
  const int threads =
      opt.threads > 0 ? opt.threads : std::max(1u, std::thread::hardware_concurrency());
  cp.n_ctx = static_cast<uint32_t>(n_tokens);
  cp.n_batch = static_cast<uint32_t>(n_tokens);   // one logical batch ...
  cp.n_ubatch = static_cast<uint32_t>(n_tokens);  // ... computed as one physical batch
  cp.n_seq_max = 1;
  cp.n_threads = threads;
  cp.n_threads_batch = threads;
  cp.type_k = GGML_TYPE_F32;  // no F16 rounding of keys and values
  cp.type_v = GGML_TYPE_F32;
  cp.flash_attn_type = opt.flash_attn;
  cp.no_perf = true;
  peer.ctx = llama_init_from_model(peer.model, cp);
  if (!peer.ctx) {
    std::fprintf(stderr, "llama_logits: %s: llama.cpp could not create a context for %d tokens\n",
                 opt.model_path.c_str(), n_tokens);
    return 1;
  }

  llama_batch batch = llama_batch_init(n_tokens, /*embd=*/0, /*n_seq_max=*/1);
  for (int32_t i = 0; i < n_tokens; ++i) {
    batch.token[i] = tokens[static_cast<size_t>(i)];
    batch.pos[i] = i;
    batch.n_seq_id[i] = 1;
    batch.seq_id[i][0] = 0;
    batch.logits[i] = 1;  // an output row for every position
  }
  batch.n_tokens = n_tokens;
  const int32_t rc = llama_decode(peer.ctx, batch);
  llama_batch_free(batch);
  if (rc != 0) {
    std::fprintf(stderr, "llama_logits: %s: llama_decode failed with code %d\n",
                 opt.model_path.c_str(), rc);
    return 1;
  }

  std::vector<float> out(static_cast<size_t>(n_tokens) * static_cast<size_t>(n_vocab));
  for (int32_t i = 0; i < n_tokens; ++i) {
    const float* row = llama_get_logits_ith(peer.ctx, i);
    if (!row) {
      std::fprintf(stderr, "llama_logits: llama.cpp returned no logits for position %d\n", i);
      return 1;
    }
    std::memcpy(out.data() + static_cast<size_t>(i) * static_cast<size_t>(n_vocab), row,
                sizeof(float) * static_cast<size_t>(n_vocab));
  }
  if (!WriteLogits(opt.out_path, out, &err)) {
    std::fprintf(stderr, "llama_logits: %s\n", err.message.c_str());
    return 1;
  }
  std::printf("n_vocab=%d\nn_tokens=%d\n", n_vocab, n_tokens);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  Error err;
  if (!ParseArgs(argc, argv, &opt, &err)) {
    if (!err.message.empty()) std::fprintf(stderr, "llama_logits: %s\n", err.message.c_str());
    std::fputs(kUsage, stderr);
    return err.message.empty() ? 0 : 2;
  }
  // `filter` outlives every llama.cpp call below; the callback is removed before it goes.
  LogFilter filter;
  filter.verbose = opt.verbose;
  llama_log_set(FilterLog, &filter);
  llama_backend_init();
  int rc = 1;
  try {
    rc = (opt.dump_text || opt.dump_text_file) ? DumpTokens(opt) : Logits(opt);
  } catch (const std::exception& e) {  // e.g. std::bad_alloc for a huge tokens x vocab output
    std::fprintf(stderr, "llama_logits: %s: %s\n", opt.model_path.c_str(), e.what());
  }
  llama_backend_free();
  llama_log_set(nullptr, nullptr);
  return rc;
}
