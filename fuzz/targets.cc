#include "targets.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "core/tensor.h"
#include "eval/task_loaders.h"
#include "io/calibration_text.h"
#include "io/gguf_model.h"
#include "io/gguf_reader.h"
#include "io/hf_config.h"
#include "io/safetensors.h"
#include "plan/bit_plan.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_json.h"
#include "tokenizer/utf8.h"

namespace lieq::fuzz {
namespace {

// A violated invariant: says which and traps, which libFuzzer and ctest report as a crash.
#define LIEQ_FUZZ_CHECK(cond)                                                                \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)

// A rejected input must say why.
void CheckError(const Status& s) {
  LIEQ_FUZZ_CHECK(!s.ok());
  LIEQ_FUZZ_CHECK(!s.message().empty());
}

// The readers that take a path read this file: one per process, in memory when /dev/shm exists.
const std::string& TempPath() {
  static const std::string path = [] {
    const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : std::getenv("TMPDIR");
    return std::string(dir != nullptr ? dir : "/tmp") + "/lieq-fuzz-" + std::to_string(getpid());
  }();
  return path;
}

const std::string& WriteTemp(const uint8_t* data, size_t size) {
  const std::string& path = TempPath();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  LIEQ_FUZZ_CHECK(f != nullptr);
  LIEQ_FUZZ_CHECK(size == 0 || std::fwrite(data, 1, size, f) == size);
  LIEQ_FUZZ_CHECK(std::fclose(f) == 0);
  static const bool cleanup = [] { return std::atexit([] { unlink(TempPath().c_str()); }) == 0; }();
  (void)cleanup;
  return path;
}

// Reads every byte of [p, p + n): a view reaching past the mapping faults here, not later.
void Touch(const std::byte* p, uint64_t n) {
  volatile unsigned sink = 0;
  unsigned sum = 0;
  for (uint64_t i = 0; i < n; ++i) sum += static_cast<unsigned>(p[i]);
  sink = sum;
  (void)sink;
}

// `view` must lie inside [begin, begin + size) and have a consistent byte size.
void CheckViewInside(const TensorView& view, const std::byte* begin, uint64_t size,
                     uint64_t expected_bytes) {
  const std::optional<int64_t> numel = CheckedNumElements(view.shape);
  LIEQ_FUZZ_CHECK(numel.has_value());
  LIEQ_FUZZ_CHECK(view.NumElements() == *numel);
  LIEQ_FUZZ_CHECK(view.rows() >= 0 && view.cols() >= 0);
  const auto bytes = static_cast<uint64_t>(view.SizeBytes());
  LIEQ_FUZZ_CHECK(bytes == expected_bytes);
  const auto lo = reinterpret_cast<uintptr_t>(begin), p = reinterpret_cast<uintptr_t>(view.data);
  LIEQ_FUZZ_CHECK(bytes == 0 || (p >= lo && p - lo <= size && bytes <= size - (p - lo)));
  Touch(view.data, bytes);
}

// What `lieq tokenize` and the evaluators do with a tokenizer that loaded.
void ExerciseTokenizer(TokenizerSpec spec, std::string_view text) {
  Result<Tokenizer> tok = Tokenizer::Create(std::move(spec));
  if (!tok.ok()) return CheckError(tok.status());
  static constexpr std::string_view kSample =
      "Hello world! <|im_start|>user 123 4567 \xe2\x96\x81x caf\xc3\xa9 \xf0\x9f\x98\x80 <s>\n\n";
  for (std::string_view t : {kSample, text}) {
    for (bool special : {false, true}) {
      Result<std::vector<int32_t>> ids = tok->Encode(t, /*add_special=*/special, special);
      if (!ids.ok()) {
        CheckError(ids.status());
        continue;
      }
      for (int32_t id : *ids) LIEQ_FUZZ_CHECK(id >= 0 && id < tok->vocab_size());
      (void)tok->Decode(*ids, /*skip_special=*/special);
    }
  }
  const int32_t n = tok->vocab_size();
  for (int32_t id : {-1, 0, 1, n / 2, n - 1, n, n + 1}) {
    const std::string piece = tok->TokenPiece(id);
    (void)tok->TokenId(piece);
  }
}

}  // namespace

void Safetensors(const uint8_t* data, size_t size) {
  Result<SafetensorsFile> file = SafetensorsFile::Open(WriteTemp(data, size));
  if (!file.ok()) return CheckError(file.status());
  const std::byte* begin = file->file()->data();
  const uint64_t file_size = file->file()->size();
  for (const auto& [name, view] : file->tensors()) {
    const std::optional<int64_t> numel = CheckedNumElements(view.shape);
    LIEQ_FUZZ_CHECK(numel.has_value());
    CheckViewInside(view, begin, file_size, static_cast<uint64_t>(RowBytes(view.dtype, *numel)));
    LIEQ_FUZZ_CHECK(view.data >= begin + 8);
  }
}

void Gguf(const uint8_t* data, size_t size) {
  const std::string& path = WriteTemp(data, size);
  Result<GgufFile> file = GgufFile::Open(path);
  if (!file.ok()) return CheckError(file.status());
  const std::byte* begin = file->file()->data();
  const uint64_t file_size = file->file()->size();
  for (const GgufTensorInfo& t : file->tensors()) {
    const TensorView view = file->View(t);
    CheckViewInside(view, begin, file_size, t.size_bytes);
    LIEQ_FUZZ_CHECK(t.offset % file->alignment() == 0);
  }
  for (const auto& [key, value] : file->metadata()) {
    (void)value.DebugString();
    (void)value.AsIntArray();
    (void)value.AsDoubleArray();
    (void)file->GetU32(key);
  }
  if (Result<TokenizerSpec> spec = TokenizerSpecFromGguf(*file); spec.ok()) {
    ExerciseTokenizer(std::move(spec).value(), "GGUF tokenizer \xff test");
  } else {
    CheckError(spec.status());
  }
  Result<Model> model = LoadGgufModel(path);
  if (!model.ok()) return CheckError(model.status());
  LIEQ_FUZZ_CHECK(model->config.Validate().ok());
}

void TokenizerJson(const uint8_t* data, size_t size) {
  // tokenizer.json NUL tokenizer_config.json NUL text to encode (JSON text has no raw NULs).
  std::string_view all(reinterpret_cast<const char*>(data), size), parts[3];
  for (int i = 0; i < 3 && !all.empty(); ++i) {
    const size_t nul = i < 2 ? all.find('\0') : std::string_view::npos;
    parts[i] = all.substr(0, nul);
    all = nul == std::string_view::npos ? std::string_view() : all.substr(nul + 1);
  }
  Result<TokenizerSpec> spec = ParseTokenizerJson(parts[0], "tokenizer.json", parts[1],
                                                  parts[1].empty() ? "" : "tokenizer_config.json");
  if (!spec.ok()) return CheckError(spec.status());
  constexpr size_t kMaxText = 256;  // keeps one run fast; BPE is superlinear in a word's length
  ExerciseTokenizer(std::move(spec).value(), parts[2].substr(0, kMaxText));
}

void HfConfig(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  Result<ModelConfig> config = ParseHfConfig(text, "config.json");
  if (!config.ok()) return CheckError(config.status());
  LIEQ_FUZZ_CHECK(config->Validate().ok());
  (void)config->RopeInvFreq();
  // What lieq writes for an accepted config must read back as the same shapes.
  Result<ModelConfig> again = ParseHfConfig(HfConfigJson(*config, "float32"), "written.json");
  LIEQ_FUZZ_CHECK(again.ok());
  LIEQ_FUZZ_CHECK(again->arch == config->arch && again->num_layers == config->num_layers &&
                  again->hidden_size == config->hidden_size &&
                  again->intermediate_size == config->intermediate_size &&
                  again->num_heads == config->num_heads &&
                  again->num_kv_heads == config->num_kv_heads &&
                  again->head_dim == config->head_dim && again->vocab_size == config->vocab_size &&
                  again->tie_word_embeddings == config->tie_word_embeddings);
}

void BitPlan(const uint8_t* data, size_t size) {
  const auto json = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return;
  Result<lieq::BitPlan> plan = BitPlanFromJson(json, "plan.json");
  if (!plan.ok()) return CheckError(plan.status());
  // Writing and reading back gives the same plan.
  Result<lieq::BitPlan> again = BitPlanFromJson(BitPlanToJson(*plan), "written.json");
  LIEQ_FUZZ_CHECK(again.ok());
  LIEQ_FUZZ_CHECK(again->bits == plan->bits && again->num_blocks == plan->num_blocks &&
                  again->group_size == plan->group_size && again->rank == plan->rank);
}

void Calibration(const uint8_t* data, size_t size) {
  if (size == 0) return;
  const int mode = data[0] % 3;                 // 0 plain text, 1 JSON lines, 2 folder
  const int64_t max_docs = (data[0] >> 2) % 4;  // 0 = all
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto check_docs = [&](const std::vector<std::string>& docs) {
    if (max_docs > 0) LIEQ_FUZZ_CHECK(static_cast<int64_t>(docs.size()) <= max_docs);
    for (const std::string& d : docs) LIEQ_FUZZ_CHECK(ValidateUtf8(d).ok());
  };
  if (mode < 2) {
    const bool jsonl = mode == 1;
    const std::string path = TempPath() + (jsonl ? ".jsonl" : ".txt");
    std::FILE* f = std::fopen(path.c_str(), "wb");
    LIEQ_FUZZ_CHECK(f != nullptr);
    LIEQ_FUZZ_CHECK(rest.empty() || std::fwrite(rest.data(), 1, rest.size(), f) == rest.size());
    LIEQ_FUZZ_CHECK(std::fclose(f) == 0);
    const Result<std::vector<std::string>> read = ReadCalibrationDocuments(path, max_docs);
    const Result<std::vector<std::string>> parsed =
        ParseCalibrationDocuments(rest, jsonl, path, max_docs);
    unlink(path.c_str());
    LIEQ_FUZZ_CHECK(read.ok() == parsed.ok());
    if (!read.ok()) {
      CheckError(read.status());
      LIEQ_FUZZ_CHECK(read.status().message() == parsed.status().message());
      return;
    }
    LIEQ_FUZZ_CHECK(*read == *parsed);
    check_docs(*read);
    if (!jsonl) LIEQ_FUZZ_CHECK(read->empty() ? rest.empty() : (*read)[0] == rest);
    return;
  }
  // A folder of up to 8 files.
  const std::string dir = TempPath() + ".d";
  std::filesystem::remove_all(dir);
  LIEQ_FUZZ_CHECK(std::filesystem::create_directory(dir));
  size_t start = 0;
  for (int i = 0; i < 8 && start <= rest.size(); ++i) {
    const size_t nul = std::min(rest.find('\0', start), rest.size());
    const std::string_view part = rest.substr(start, nul - start);
    start = nul + 1;
    const bool jsonl = !part.empty() && (static_cast<uint8_t>(part[0]) & 1);
    const std::string name = dir + "/f" + std::to_string(i) + (jsonl ? ".jsonl" : ".txt");
    std::FILE* f = std::fopen(name.c_str(), "wb");
    LIEQ_FUZZ_CHECK(f != nullptr);
    const std::string_view body = part.empty() ? part : part.substr(1);
    LIEQ_FUZZ_CHECK(body.empty() || std::fwrite(body.data(), 1, body.size(), f) == body.size());
    LIEQ_FUZZ_CHECK(std::fclose(f) == 0);
  }
  const Result<std::vector<std::string>> read = ReadCalibrationDocuments(dir, max_docs);
  std::filesystem::remove_all(dir);
  if (!read.ok()) return CheckError(read.status());
  check_docs(*read);
}

void TaskFiles(const uint8_t* data, size_t size) {
  if (size == 0) return;
  const std::string_view all(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t nul = all.find('\0');
  const std::string_view text = all.substr(0, nul);
  const std::string_view labels = nul == std::string_view::npos ? "" : all.substr(nul + 1);
  Result<std::vector<TaskItem>> items = [&]() -> Result<std::vector<TaskItem>> {
    switch (data[0] % 7) {
      case 0:
        return ParseArc(all, "arc.jsonl");
      case 1:
        return ParsePiqa(text, "valid.jsonl", labels, "valid-labels.lst");
      case 2:
        return ParseWinogrande(text, "dev.jsonl", labels, "dev-labels.lst");
      case 3:
        return ParseHellaswag(all, "hellaswag.txt");
      case 4:
        return ParseBoolq(all, "boolq.jsonl");
      case 5:
        return ParseOpenbookqa(all, "openbook_qa.jsonl");
      default:
        return ParseLambada(all, "lambada.jsonl");
    }
  }();
  if (!items.ok()) return CheckError(items.status());
  for (const TaskItem& item : *items) {
    LIEQ_FUZZ_CHECK(!item.requests.empty());
    LIEQ_FUZZ_CHECK(item.gold >= 0 && static_cast<size_t>(item.gold) < item.requests.size());
  }
}

std::span<const Target> Targets() {
  static constexpr Target kTargets[] = {
      {"safetensors", &Safetensors}, {"gguf", &Gguf},        {"tokenizer_json", &TokenizerJson},
      {"hf_config", &HfConfig},      {"bit_plan", &BitPlan}, {"task_files", &TaskFiles},
      {"calibration", &Calibration},
  };
  return kTargets;
}

}  // namespace lieq::fuzz
