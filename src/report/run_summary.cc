#include "report/run_summary.h"

#include <nlohmann/json.hpp>

namespace lieq {
namespace {

// Reads optional fields of one JSON object, naming `where` ("summary.json: \"ppl\"") in errors.
class FieldReader {
 public:
  FieldReader(const nlohmann::json& object, std::string where)
      : object_(object), where_(std::move(where)) {}

  Status String(const char* name, std::string& out) const {
    const nlohmann::json* v = Find(name);
    if (v == nullptr) return Status::Ok();
    if (!v->is_string()) return Wrong(name, "a string");
    out = v->get<std::string>();
    return Status::Ok();
  }
  template <typename T>  // double or int64_t
  Status Number(const char* name, T& out) const {
    const nlohmann::json* v = Find(name);
    if (v == nullptr) return Status::Ok();
    if (!(std::is_integral_v<T> ? v->is_number_integer() : v->is_number())) {
      return Wrong(name, std::is_integral_v<T> ? "an integer" : "a number");
    }
    out = v->get<T>();
    return Status::Ok();
  }
  template <typename T>
  Status Number(const char* name, std::optional<T>& out) const {
    if (Find(name) == nullptr) return Status::Ok();
    T value{};
    LIEQ_RETURN_IF_ERROR(Number(name, value));
    out = value;
    return Status::Ok();
  }
  // The member `name` when present; an error unless it is an object (or an array if `array`).
  Result<const nlohmann::json*> Child(const char* name, bool array) const {
    const nlohmann::json* v = Find(name);
    if (v != nullptr && !(array ? v->is_array() : v->is_object())) {
      return Wrong(name, array ? "an array" : "an object");
    }
    return v;
  }
  std::string Where(const char* name) const { return where_ + "\"" + name + "\""; }

 private:
  const nlohmann::json* Find(const char* name) const {
    const auto it = object_.find(name);
    return it == object_.end() || it->is_null() ? nullptr : &*it;
  }
  Status Wrong(const char* name, const char* what) const {
    return InvalidArgument(Where(name) + " is not " + what);
  }
  const nlohmann::json& object_;
  std::string where_;
};

Result<std::optional<PplMeasurement>> ReadPpl(const FieldReader& parent, const char* name) {
  LIEQ_ASSIGN_OR_RETURN(const nlohmann::json* j, parent.Child(name, false));
  if (j == nullptr) return std::optional<PplMeasurement>();
  const FieldReader r(*j, parent.Where(name) + ".");
  PplMeasurement m;
  LIEQ_RETURN_IF_ERROR(r.Number("ppl", m.ppl));
  LIEQ_RETURN_IF_ERROR(r.Number("stderr", m.standard_error));
  return std::optional<PplMeasurement>(m);
}

nlohmann::json PplToJson(const PplMeasurement& m) {
  return {{"ppl", m.ppl}, {"stderr", m.standard_error}};
}

}  // namespace

nlohmann::json RunSummaryToJson(const RunSummary& s) {
  nlohmann::json j = nlohmann::json::object();
  if (!s.model.empty()) j["model"] = s.model;
  if (!s.output.empty()) j["output"] = s.output;
  if (!s.method.empty()) j["method"] = s.method;
  if (!s.stages.empty()) {
    j["stages"] = nlohmann::json::array();
    for (const StageTime& t : s.stages)
      j["stages"].push_back({{"name", t.name}, {"seconds", t.seconds}});
  }
  if (s.size_bytes_before) j["size_bytes_before"] = *s.size_bytes_before;
  if (s.size_bytes_after) j["size_bytes_after"] = *s.size_bytes_after;
  if (s.avg_bits_linear) j["avg_bits_linear"] = *s.avg_bits_linear;
  if (s.avg_bits_file) j["avg_bits_file"] = *s.avg_bits_file;
  if (s.ppl) {
    nlohmann::json p = {{"text", s.ppl->text}, {"ctx", s.ppl->ctx}};
    if (s.ppl->fp) p["fp"] = PplToJson(*s.ppl->fp);
    if (s.ppl->quantized) p["quantized"] = PplToJson(*s.ppl->quantized);
    j["ppl"] = std::move(p);
  }
  return j;
}

Result<RunSummary> RunSummaryFromJson(const nlohmann::json& json, const std::string& source) {
  if (!json.is_object()) return InvalidArgument(source + ": not a JSON object");
  const FieldReader r(json, source + ": ");
  RunSummary s;
  LIEQ_RETURN_IF_ERROR(r.String("model", s.model));
  LIEQ_RETURN_IF_ERROR(r.String("output", s.output));
  LIEQ_RETURN_IF_ERROR(r.String("method", s.method));
  LIEQ_ASSIGN_OR_RETURN(const nlohmann::json* stages, r.Child("stages", true));
  if (stages != nullptr) {
    for (size_t i = 0; i < stages->size(); ++i) {
      const std::string where = r.Where("stages") + "[" + std::to_string(i) + "]";
      if (!(*stages)[i].is_object()) return InvalidArgument(where + " is not an object");
      const FieldReader stage((*stages)[i], where + ".");
      StageTime t;
      LIEQ_RETURN_IF_ERROR(stage.String("name", t.name));
      LIEQ_RETURN_IF_ERROR(stage.Number("seconds", t.seconds));
      s.stages.push_back(std::move(t));
    }
  }
  LIEQ_RETURN_IF_ERROR(r.Number("size_bytes_before", s.size_bytes_before));
  LIEQ_RETURN_IF_ERROR(r.Number("size_bytes_after", s.size_bytes_after));
  LIEQ_RETURN_IF_ERROR(r.Number("avg_bits_linear", s.avg_bits_linear));
  LIEQ_RETURN_IF_ERROR(r.Number("avg_bits_file", s.avg_bits_file));
  LIEQ_ASSIGN_OR_RETURN(const nlohmann::json* ppl, r.Child("ppl", false));
  if (ppl != nullptr) {
    const FieldReader p(*ppl, r.Where("ppl") + ".");
    PplComparison c;
    LIEQ_RETURN_IF_ERROR(p.String("text", c.text));
    LIEQ_RETURN_IF_ERROR(p.Number("ctx", c.ctx));
    LIEQ_ASSIGN_OR_RETURN(c.fp, ReadPpl(p, "fp"));
    LIEQ_ASSIGN_OR_RETURN(c.quantized, ReadPpl(p, "quantized"));
    s.ppl = std::move(c);
  }
  return s;
}

}  // namespace lieq
