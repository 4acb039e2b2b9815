#include "server/store/event_codec.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "server/base/json_string.h"
#include "server/store/status_macros.h"

namespace acd::store {
namespace {

// A parsed payload, and one JSON value in it.
using JsonDocument = rapidjson::Document;
using JsonValue = rapidjson::Value;

// Largest magnitude a double holds exactly as an integer.
constexpr int64_t kMaxExactDouble = int64_t{1} << 53;

// Whether every byte of `text` is below 0x80, eight at a time.
bool IsAscii(absl::string_view text) {
  constexpr uint64_t kHighBits = 0x8080808080808080ULL;
  size_t i = 0;
  uint64_t seen = 0;
  for (; i + 8 <= text.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    seen |= word;
  }
  for (; i < text.size(); ++i) seen |= static_cast<unsigned char>(text[i]);
  return (seen & kHighBits) == 0;
}

// Parses `json`, which must be one JSON object (RFC 8259, valid UTF-8, nothing
// after it). RapidJSON parses in place of protobuf's JSON parser, which went
// through its type converter and took half of a restart's time.
absl::StatusOr<JsonDocument> FromJson(absl::string_view json) {
  JsonDocument document;
  // ASCII is valid UTF-8, and most payloads are ASCII: RapidJSON's UTF-8
  // validation, byte by byte, was a quarter of a restart's decoding.
  if (IsAscii(json)) {
    document.Parse<rapidjson::kParseFullPrecisionFlag>(json.data(), json.size());
  } else {
    document.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseFullPrecisionFlag>(
        json.data(), json.size());
  }
  if (document.HasParseError()) {
    return absl::DataLossError(absl::StrCat(
        "malformed JSON object: ", rapidjson::GetParseError_En(document.GetParseError()),
        " at offset ", document.GetErrorOffset()));
  }
  if (!document.IsObject()) return absl::DataLossError("malformed JSON object: not an object");
  return document;
}

// Enum names are found by walking the enum from 0 until the name function
// answers "unknown", so new enumerators are picked up without a table here.
template <typename Enum, typename NameFn>
std::optional<Enum> ParseEnum(absl::string_view name, NameFn name_fn) {
  for (int i = 0; i < 1000; ++i) {
    absl::string_view candidate = name_fn(static_cast<Enum>(i));
    if (candidate == "unknown") break;
    if (candidate == name) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

// --- Encoding ---
//
// Written straight into the string: protobuf's JSON printer, through a Struct,
// took 56 us for an event (tests/bench/codec_bench.cc), the store thread's
// largest cost after the disk. Decoding parses with RapidJSON (FromJson) and
// checks each field's type as it reads it.

// A JSON number when a double (what a JSON reader may use) holds it exactly,
// else a decimal string.
void AppendJsonInt(int64_t value, std::string* out) {
  if (value >= -kMaxExactDouble && value <= kMaxExactDouble) {
    absl::StrAppend(out, value);
  } else {
    absl::StrAppend(out, "\"", value, "\"");
  }
}

// Writes one JSON object at the end of a string, keys in the order written;
// the object is closed when the writer is destroyed.
class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) { out_->push_back('{'); }
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;
  ~JsonWriter() { out_->push_back('}'); }

  void String(absl::string_view key, absl::string_view value) {
    Key(key);
    AppendJsonString(value, out_);
  }
  void Int(absl::string_view key, int64_t value) {
    Key(key);
    AppendJsonInt(value, out_);
  }
  void Uint(absl::string_view key, uint64_t value) {
    if (value <= static_cast<uint64_t>(kMaxExactDouble)) {
      Int(key, static_cast<int64_t>(value));
      return;
    }
    Key(key);
    absl::StrAppend(out_, "\"", value, "\"");
  }
  void Time(absl::string_view key, absl::Time value) { Int(key, absl::ToUnixMicros(value)); }
  void Bool(absl::string_view key, bool value) {
    Key(key);
    out_->append(value ? "true" : "false");
  }
  void OptionalTime(absl::string_view key, const std::optional<absl::Time>& value) {
    if (value.has_value()) Time(key, *value);
  }
  void Duration(absl::string_view key, absl::Duration value) {
    Int(key, absl::ToInt64Microseconds(value));
  }
  void SkillLevels(absl::string_view key, const core::SkillLevels& skills) {
    JsonWriter map = Object(key);
    for (const auto& [skill, level] : skills) map.Int(skill, level);
  }
  void Attributes(absl::string_view key, const core::Attributes& attributes) {
    JsonWriter map = Object(key);
    for (const auto& [name, value] : attributes) map.String(name, value);
  }
  void StringList(absl::string_view key, const std::vector<std::string>& values) {
    Key(key);
    out_->push_back('[');
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out_->push_back(',');
      AppendJsonString(values[i], out_);
    }
    out_->push_back(']');
  }
  // An object under `key`, written through the returned writer.
  JsonWriter Object(absl::string_view key) {
    Key(key);
    return JsonWriter(out_);
  }

 private:
  void Key(absl::string_view key) {
    if (!first_) out_->push_back(',');
    first_ = false;
    AppendJsonString(key, out_);
    out_->push_back(':');
  }

  std::string* out_;
  bool first_ = true;
};

void EncodeCall(const core::Call& call, JsonWriter&& w) {
  w.String("call_id", call.call_id);
  w.String("queue", call.queue);
  w.Int("priority", call.priority);
  w.SkillLevels("required_skills", call.required_skills);
  // Only where escalation relaxed them: otherwise they are the required ones.
  if (!(call.effective_skills == call.required_skills)) {
    w.SkillLevels("effective_skills", call.effective_skills);
  }
  w.Attributes("attributes", call.attributes);
  w.String("state", core::CallStateName(call.state));
  w.String("agent_id", call.agent_id);
  w.Time("enqueued_at_us", call.enqueued_at);
  w.OptionalTime("offered_at_us", call.offered_at);
  w.OptionalTime("connected_at_us", call.connected_at);
  w.OptionalTime("ended_at_us", call.ended_at);
  w.OptionalTime("completed_at_us", call.completed_at);
  w.OptionalTime("offer_expires_at_us", call.offer_expires_at);
  w.String("disposition", call.disposition);
  w.String("notes", call.notes);
  w.String("end_reason", call.end_reason);
  w.Int("missed_offers", call.missed_offers);
  w.Int("position", call.position);
  w.Uint("arrival_order", call.arrival_order);
  w.Int("transfers", call.transfers);
  w.String("callback_number", call.callback_number);
  w.Int("callback_attempts", call.callback_attempts);
  w.OptionalTime("callback_requested_at_us", call.callback_requested_at);
  // What a restart needs to put the call back as it was (Engine::Restore).
  w.Time("queue_entered_at_us", call.queue_entered_at);
  w.OptionalTime("callback_window_end_us", call.callback_window_end);
  w.OptionalTime("callback_retry_at_us", call.callback_retry_at);
  if (call.callback_pending) w.Bool("callback_pending", true);
  if (!call.transfer_fallback.empty()) w.String("transfer_fallback", call.transfer_fallback);
}

void EncodeRequest(const core::EnqueueRequest& request, JsonWriter&& w) {
  w.String("call_id", request.call_id);
  w.String("queue", request.queue);
  w.Int("priority", request.priority);
  w.SkillLevels("required_skills", request.required_skills);
  w.Attributes("attributes", request.attributes);
}

void EncodeAgent(const core::Agent& agent, JsonWriter&& w) {
  w.String("agent_id", agent.agent_id);
  w.String("name", agent.name);
  w.SkillLevels("skills", agent.skills);
  w.StringList("queues", agent.queues);
  w.String("state", core::AgentStateName(agent.state));
  w.Time("state_since_us", agent.state_since);
  w.Time("idle_since_us", agent.idle_since);
  w.String("away_reason", agent.away_reason);
  w.String("call_id", agent.call_id);
  w.OptionalTime("wrap_up_until_us", agent.wrap_up_until);
  w.Int("calls_handled", agent.calls_handled);
  w.Duration("talk_time_us", agent.talk_time);
  w.Int("consecutive_missed_offers", agent.consecutive_missed_offers);
  w.String("pending_away_reason", agent.pending_away_reason);
}

// --- Decoding ---

// Reads typed fields out of one JSON object. `path` ("call.", "agent.") makes
// error messages name the full key.
class StructReader {
 public:
  StructReader(const JsonValue& in, std::string path) : in_(in), path_(std::move(path)) {}

  // `Text`: std::string or core::SparseString.
  template <typename Text>
  absl::Status String(const char* key, Text* out) const {
    const JsonValue* v = Find(key);
    if (v == nullptr) return absl::OkStatus();
    if (!v->IsString()) return WrongType(key, "a string");
    out->assign(v->GetString(), v->GetStringLength());
    return absl::OkStatus();
  }

  absl::Status Bool(const char* key, bool* out) const {
    const JsonValue* v = Find(key);
    if (v == nullptr) return absl::OkStatus();
    if (!v->IsBool()) return WrongType(key, "a boolean");
    *out = v->GetBool();
    return absl::OkStatus();
  }

  absl::Status Int64(const char* key, int64_t* out) const {
    const JsonValue* v = Find(key);
    if (v == nullptr) return absl::OkStatus();
    return ValueToInt64(*v, key, out);
  }

  absl::Status Int(const char* key, int* out) const {
    int64_t value = *out;
    ACD_RETURN_IF_ERROR(Int64(key, &value));
    if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
      return WrongType(key, "a 32-bit integer");
    }
    *out = static_cast<int>(value);
    return absl::OkStatus();
  }

  absl::Status Uint64(const char* key, uint64_t* out) const {
    const JsonValue* v = Find(key);
    if (v == nullptr) return absl::OkStatus();
    if (v->IsString()) {
      if (!absl::SimpleAtoi(StringOf(*v), out)) return WrongType(key, "an unsigned integer");
      return absl::OkStatus();
    }
    int64_t value = 0;
    ACD_RETURN_IF_ERROR(ValueToInt64(*v, key, &value));
    if (value < 0) return WrongType(key, "an unsigned integer");
    *out = static_cast<uint64_t>(value);
    return absl::OkStatus();
  }

  absl::Status Time(const char* key, absl::Time* out) const {
    const JsonValue* v = Find(key);
    if (v == nullptr) return absl::OkStatus();
    int64_t micros = 0;
    ACD_RETURN_IF_ERROR(ValueToInt64(*v, key, &micros));
    *out = absl::FromUnixMicros(micros);
    return absl::OkStatus();
  }

  // `Optional`: std::optional<absl::Time> or core::OptionalTime.
  template <typename Optional>
  absl::Status OptionalTime(const char* key, Optional* out) const {
    if (Find(key) == nullptr) {
      out->reset();
      return absl::OkStatus();
    }
    absl::Time value;
    ACD_RETURN_IF_ERROR(Time(key, &value));
    *out = value;
    return absl::OkStatus();
  }

  absl::Status Duration(const char* key, absl::Duration* out) const {
    const JsonValue* v = Find(key);
    if (v == nullptr) return absl::OkStatus();
    int64_t micros = 0;
    ACD_RETURN_IF_ERROR(ValueToInt64(*v, key, &micros));
    *out = absl::Microseconds(micros);
    return absl::OkStatus();
  }

  template <typename Enum, typename ParseFn>
  absl::Status EnumName(const char* key, ParseFn parse, Enum* out) const {
    std::string name;
    ACD_RETURN_IF_ERROR(String(key, &name));
    if (name.empty()) return absl::OkStatus();
    std::optional<Enum> value = parse(name);
    if (!value.has_value()) {
      return absl::DataLossError(
          absl::StrCat("key '", path_, key, "': unknown value '", name, "'"));
    }
    *out = *value;
    return absl::OkStatus();
  }

  absl::Status SkillLevels(const char* key, core::SkillLevels* out) const {
    const JsonValue* map = nullptr;
    ACD_RETURN_IF_ERROR(Object(key, &map));
    if (map == nullptr) return absl::OkStatus();
    return ReadSkillLevels(*map, absl::StrCat(path_, key, "."), out);
  }

  absl::Status Attributes(const char* key, core::Attributes* out) const {
    const JsonValue* map = nullptr;
    ACD_RETURN_IF_ERROR(Object(key, &map));
    if (map == nullptr) return absl::OkStatus();
    return ReadAttributes(*map, absl::StrCat(path_, key, "."), out);
  }

  // A whole object as skill -> level, or as name -> string.
  static absl::Status ReadSkillLevels(const JsonValue& map, std::string path,
                                      core::SkillLevels* out) {
    StructReader reader(map, std::move(path));
    core::SkillLevels::map_type levels;
    for (const auto& member : map.GetObject()) {
      int level = 0;
      ACD_RETURN_IF_ERROR(reader.IntValue(member.value, member.name.GetString(), &level));
      levels[std::string(StringOf(member.name))] = level;
    }
    *out = std::move(levels);
    return absl::OkStatus();
  }
  static absl::Status ReadAttributes(const JsonValue& map, std::string path,
                                     core::Attributes* out) {
    StructReader reader(map, std::move(path));
    core::Attributes::map_type attributes;
    for (const auto& member : map.GetObject()) {
      if (!member.value.IsString()) return reader.WrongType(member.name.GetString(), "a string");
      attributes[std::string(StringOf(member.name))] = std::string(StringOf(member.value));
    }
    *out = std::move(attributes);
    return absl::OkStatus();
  }

  absl::Status StringList(const char* key, std::vector<std::string>* out) const {
    const JsonValue* v = Find(key);
    if (v == nullptr) return absl::OkStatus();
    if (!v->IsArray()) return WrongType(key, "a list of strings");
    out->clear();
    for (const JsonValue& item : v->GetArray()) {
      if (!item.IsString()) return WrongType(key, "a list of strings");
      out->emplace_back(StringOf(item));
    }
    return absl::OkStatus();
  }

  // Sets `*out` to the nested object, or null when the key is absent or null.
  absl::Status Object(const char* key, const JsonValue** out) const {
    *out = nullptr;
    const JsonValue* v = Find(key);
    if (v == nullptr || v->IsNull()) return absl::OkStatus();
    if (!v->IsObject()) return WrongType(key, "an object");
    *out = v;
    return absl::OkStatus();
  }

  // `v`, the value of `key`, as an int.
  absl::Status IntValue(const JsonValue& v, const char* key, int* out) const {
    int64_t value = 0;
    ACD_RETURN_IF_ERROR(ValueToInt64(v, key, &value));
    if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
      return WrongType(key, "a 32-bit integer");
    }
    *out = static_cast<int>(value);
    return absl::OkStatus();
  }

 private:
  static absl::string_view StringOf(const JsonValue& v) {
    return absl::string_view(v.GetString(), v.GetStringLength());
  }

  const JsonValue* Find(const char* key) const {
    auto it = in_.FindMember(key);
    return it == in_.MemberEnd() ? nullptr : &it->value;
  }

  absl::Status ValueToInt64(const JsonValue& v, const char* key, int64_t* out) const {
    if (v.IsString()) {
      if (!absl::SimpleAtoi(StringOf(v), out)) return WrongType(key, "an integer");
      return absl::OkStatus();
    }
    if (!v.IsNumber()) return WrongType(key, "an integer");
    // Only exactly representable integers are written as numbers.
    if (v.IsInt64() && v.GetInt64() >= -kMaxExactDouble && v.GetInt64() <= kMaxExactDouble) {
      *out = v.GetInt64();
      return absl::OkStatus();
    }
    double number = v.GetDouble();
    // Only exactly representable integers are written as numbers.
    if (std::trunc(number) != number || std::fabs(number) > static_cast<double>(kMaxExactDouble)) {
      return WrongType(key, "an integer");
    }
    *out = static_cast<int64_t>(number);
    return absl::OkStatus();
  }

  absl::Status WrongType(const char* key, absl::string_view expected) const {
    return absl::DataLossError(absl::StrCat("key '", path_, key, "': expected ", expected));
  }

  const JsonValue& in_;
  std::string path_;
};

absl::Status DecodeCall(const JsonValue& in, core::Call* call) {
  StructReader r(in, "call.");
  ACD_RETURN_IF_ERROR(r.String("call_id", &call->call_id));
  ACD_RETURN_IF_ERROR(r.String("queue", &call->queue));
  ACD_RETURN_IF_ERROR(r.Int("priority", &call->priority));
  ACD_RETURN_IF_ERROR(r.SkillLevels("required_skills", &call->required_skills));
  call->effective_skills = call->required_skills;
  ACD_RETURN_IF_ERROR(r.SkillLevels("effective_skills", &call->effective_skills));
  ACD_RETURN_IF_ERROR(r.Attributes("attributes", &call->attributes));
  ACD_RETURN_IF_ERROR(r.EnumName("state", ParseCallState, &call->state));
  ACD_RETURN_IF_ERROR(r.String("agent_id", &call->agent_id));
  ACD_RETURN_IF_ERROR(r.Time("enqueued_at_us", &call->enqueued_at));
  ACD_RETURN_IF_ERROR(r.OptionalTime("offered_at_us", &call->offered_at));
  ACD_RETURN_IF_ERROR(r.OptionalTime("connected_at_us", &call->connected_at));
  ACD_RETURN_IF_ERROR(r.OptionalTime("ended_at_us", &call->ended_at));
  ACD_RETURN_IF_ERROR(r.OptionalTime("completed_at_us", &call->completed_at));
  ACD_RETURN_IF_ERROR(r.OptionalTime("offer_expires_at_us", &call->offer_expires_at));
  ACD_RETURN_IF_ERROR(r.String("disposition", &call->disposition));
  ACD_RETURN_IF_ERROR(r.String("notes", &call->notes));
  ACD_RETURN_IF_ERROR(r.String("end_reason", &call->end_reason));
  ACD_RETURN_IF_ERROR(r.Int("missed_offers", &call->missed_offers));
  ACD_RETURN_IF_ERROR(r.Int("position", &call->position));
  ACD_RETURN_IF_ERROR(r.Uint64("arrival_order", &call->arrival_order));
  ACD_RETURN_IF_ERROR(r.Int("transfers", &call->transfers));
  ACD_RETURN_IF_ERROR(r.String("callback_number", &call->callback_number));
  ACD_RETURN_IF_ERROR(r.Int("callback_attempts", &call->callback_attempts));
  ACD_RETURN_IF_ERROR(r.OptionalTime("callback_requested_at_us", &call->callback_requested_at));
  // Logs written before these were kept: the arrival stands in.
  call->queue_entered_at = call->enqueued_at;
  ACD_RETURN_IF_ERROR(r.Time("queue_entered_at_us", &call->queue_entered_at));
  ACD_RETURN_IF_ERROR(r.OptionalTime("callback_window_end_us", &call->callback_window_end));
  ACD_RETURN_IF_ERROR(r.OptionalTime("callback_retry_at_us", &call->callback_retry_at));
  ACD_RETURN_IF_ERROR(r.Bool("callback_pending", &call->callback_pending));
  ACD_RETURN_IF_ERROR(r.String("transfer_fallback", &call->transfer_fallback));
  return absl::OkStatus();
}

absl::Status DecodeRequest(const JsonValue& in, core::EnqueueRequest* request) {
  StructReader r(in, "request.");
  ACD_RETURN_IF_ERROR(r.String("call_id", &request->call_id));
  ACD_RETURN_IF_ERROR(r.String("queue", &request->queue));
  ACD_RETURN_IF_ERROR(r.Int("priority", &request->priority));
  ACD_RETURN_IF_ERROR(r.SkillLevels("required_skills", &request->required_skills));
  ACD_RETURN_IF_ERROR(r.Attributes("attributes", &request->attributes));
  return absl::OkStatus();
}

absl::Status DecodeAgent(const JsonValue& in, core::Agent* agent) {
  StructReader r(in, "agent.");
  ACD_RETURN_IF_ERROR(r.String("agent_id", &agent->agent_id));
  ACD_RETURN_IF_ERROR(r.String("name", &agent->name));
  ACD_RETURN_IF_ERROR(r.SkillLevels("skills", &agent->skills));
  ACD_RETURN_IF_ERROR(r.StringList("queues", &agent->queues));
  ACD_RETURN_IF_ERROR(r.EnumName("state", ParseAgentState, &agent->state));
  ACD_RETURN_IF_ERROR(r.Time("state_since_us", &agent->state_since));
  ACD_RETURN_IF_ERROR(r.Time("idle_since_us", &agent->idle_since));
  ACD_RETURN_IF_ERROR(r.String("away_reason", &agent->away_reason));
  ACD_RETURN_IF_ERROR(r.String("call_id", &agent->call_id));
  ACD_RETURN_IF_ERROR(r.OptionalTime("wrap_up_until_us", &agent->wrap_up_until));
  ACD_RETURN_IF_ERROR(r.Int("calls_handled", &agent->calls_handled));
  ACD_RETURN_IF_ERROR(r.Duration("talk_time_us", &agent->talk_time));
  ACD_RETURN_IF_ERROR(r.Int("consecutive_missed_offers", &agent->consecutive_missed_offers));
  ACD_RETURN_IF_ERROR(r.String("pending_away_reason", &agent->pending_away_reason));
  return absl::OkStatus();
}

}  // namespace

std::string EncodeEventPayload(const core::Event& event) {
  std::string json;
  json.reserve(1024);
  {
    JsonWriter w(&json);
    w.Int("seq", event.seq);
    w.Time("time_us", event.time);
    w.String("type", core::EventTypeName(event.type));
    w.String("call_id", event.call_id);
    w.String("agent_id", event.agent_id);
    w.String("queue", event.queue);
    w.String("reason", event.reason);
    if (event.call.has_value()) EncodeCall(*event.call, w.Object("call"));
    if (event.agent.has_value()) EncodeAgent(*event.agent, w.Object("agent"));
    if (event.request.has_value()) EncodeRequest(*event.request, w.Object("request"));
  }
  return json;
}

absl::StatusOr<core::Event> DecodeEventPayload(absl::string_view json) {
  ACD_ASSIGN_OR_RETURN(JsonDocument payload, FromJson(json));
  core::Event event;
  StructReader r(payload, "");
  ACD_RETURN_IF_ERROR(r.Int64("seq", &event.seq));
  ACD_RETURN_IF_ERROR(r.Time("time_us", &event.time));
  ACD_RETURN_IF_ERROR(r.EnumName("type", ParseEventType, &event.type));
  ACD_RETURN_IF_ERROR(r.String("call_id", &event.call_id));
  ACD_RETURN_IF_ERROR(r.String("agent_id", &event.agent_id));
  ACD_RETURN_IF_ERROR(r.String("queue", &event.queue));
  ACD_RETURN_IF_ERROR(r.String("reason", &event.reason));
  const JsonValue* call = nullptr;
  ACD_RETURN_IF_ERROR(r.Object("call", &call));
  if (call != nullptr) ACD_RETURN_IF_ERROR(DecodeCall(*call, &event.call.emplace()));
  const JsonValue* agent = nullptr;
  ACD_RETURN_IF_ERROR(r.Object("agent", &agent));
  if (agent != nullptr) ACD_RETURN_IF_ERROR(DecodeAgent(*agent, &event.agent.emplace()));
  const JsonValue* request = nullptr;
  ACD_RETURN_IF_ERROR(r.Object("request", &request));
  if (request != nullptr) ACD_RETURN_IF_ERROR(DecodeRequest(*request, &event.request.emplace()));
  return event;
}

std::string EncodeSkillLevels(const core::SkillLevels& skills) {
  std::string json;
  {
    JsonWriter w(&json);
    for (const auto& [skill, level] : skills) w.Int(skill, level);
  }
  return json;
}

absl::StatusOr<core::SkillLevels> DecodeSkillLevels(absl::string_view json) {
  ACD_ASSIGN_OR_RETURN(JsonDocument map, FromJson(json));
  core::SkillLevels skills;
  ACD_RETURN_IF_ERROR(StructReader::ReadSkillLevels(map, "", &skills));
  return skills;
}

std::string EncodeAttributes(const core::Attributes& attributes) {
  std::string json;
  {
    JsonWriter w(&json);
    for (const auto& [name, value] : attributes) w.String(name, value);
  }
  return json;
}

absl::StatusOr<core::Attributes> DecodeAttributes(absl::string_view json) {
  ACD_ASSIGN_OR_RETURN(JsonDocument map, FromJson(json));
  core::Attributes attributes;
  ACD_RETURN_IF_ERROR(StructReader::ReadAttributes(map, "", &attributes));
  return attributes;
}

std::string EncodeEnqueueRequest(const core::EnqueueRequest& request) {
  std::string json;
  EncodeRequest(request, JsonWriter(&json));
  return json;
}

absl::StatusOr<core::EnqueueRequest> DecodeEnqueueRequest(absl::string_view json) {
  ACD_ASSIGN_OR_RETURN(JsonDocument in, FromJson(json));
  core::EnqueueRequest request;
  ACD_RETURN_IF_ERROR(DecodeRequest(in, &request));
  return request;
}

std::optional<core::EventType> ParseEventType(absl::string_view name) {
  return ParseEnum<core::EventType>(name, core::EventTypeName);
}

std::optional<core::CallState> ParseCallState(absl::string_view name) {
  return ParseEnum<core::CallState>(name, core::CallStateName);
}

std::optional<core::AgentState> ParseAgentState(absl::string_view name) {
  return ParseEnum<core::AgentState>(name, core::AgentStateName);
}

}  // namespace acd::store
