// CowMap: an ordered map whose copies share one immutable body (copy on write).
//
// A call's skills and attributes and an agent's skills are set when the call
// arrives or the agent logs in and rarely change after, but they are copied
// into every event snapshot, into the request kept for idempotent retries,
// and into the effective skills that escalation relaxes. As plain maps each
// copy allocated nodes and copied every key, and at 100,000 waiting calls the
// source nodes were cold: a copy cost cache misses on the routing decision's
// path. A copy of a CowMap is a reference count.
//
// Reads are those of the const map. A change never touches a body another
// copy may be reading: it builds a new body from the old one, so each change
// costs a copy of the map. To add many entries, fill a `Map` and assign it.
// A reference or iterator a change returns is valid until the next change.
//
// Thread safety: as a value. Copies may be read and destroyed on different
// threads at once (the body is immutable once shared; the count is atomic).
#ifndef ACD_SERVER_CORE_COW_MAP_H_
#define ACD_SERVER_CORE_COW_MAP_H_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <utility>

#include "server/core/prefetch.h"

namespace acd::core {

template <typename Map>
class CowMap {
 public:
  using map_type = Map;
  using key_type = typename Map::key_type;
  using mapped_type = typename Map::mapped_type;
  using value_type = typename Map::value_type;
  using size_type = typename Map::size_type;
  using const_iterator = typename Map::const_iterator;
  using iterator = const_iterator;

  CowMap() = default;
  // Implicit, like the map it stands for: `CowMap m = built_map;`.
  CowMap(Map map)  // NOLINT(google-explicit-constructor)
      : body_(map.empty() ? nullptr : std::make_shared<const Map>(std::move(map))) {}
  CowMap(std::initializer_list<std::pair<key_type, mapped_type>> init)
      : CowMap(Map(init.begin(), init.end())) {}
  template <typename InputIt>
  CowMap(InputIt first, InputIt last) : CowMap(Map(first, last)) {}

  const Map& map() const { return body_ ? *body_ : Empty(); }
  const_iterator begin() const { return map().begin(); }
  const_iterator end() const { return map().end(); }
  size_type size() const { return body_ ? body_->size() : 0; }
  bool empty() const { return size() == 0; }
  const_iterator find(const key_type& key) const { return map().find(key); }
  bool contains(const key_type& key) const { return map().contains(key); }
  size_type count(const key_type& key) const { return map().count(key); }
  const mapped_type& at(const key_type& key) const { return map().at(key); }

  // Prefetch hint (prefetch.h) for a copy, which reads and bumps only the
  // reference count: libstdc++'s make_shared keeps it (after a vtable
  // pointer) just before the body, in the same allocation.
  void PrefetchCount() const {
    if (body_ == nullptr) return;
    constexpr uintptr_t kHeader = sizeof(void*) + 2 * sizeof(int);
    const auto body = reinterpret_cast<uintptr_t>(body_.get());
    PrefetchBytes(reinterpret_cast<const void*>(body - kHeader), kHeader);
  }

  // Changes: each builds a new body (see above).
  mapped_type& operator[](const key_type& key) { return Edit()[key]; }
  template <typename... Args>
  auto emplace(Args&&... args) {
    return Edit().emplace(std::forward<Args>(args)...);
  }
  size_type erase(const key_type& key) {
    if (!contains(key)) return 0;
    return Edit().erase(key);
  }
  void clear() { body_.reset(); }

  friend bool operator==(const CowMap& a, const CowMap& b) {
    return a.body_ == b.body_ || a.map() == b.map();
  }
  friend bool operator<(const CowMap& a, const CowMap& b) { return a.map() < b.map(); }
  template <typename H>
  friend H AbslHashValue(H h, const CowMap& m) {
    return H::combine(std::move(h), m.map());
  }

 private:
  static const Map& Empty() {
    static const Map* const empty = new Map();
    return *empty;
  }
  // A private body, a copy of the current one, for one change.
  Map& Edit() {
    auto body = body_ ? std::make_shared<Map>(*body_) : std::make_shared<Map>();
    Map& map = *body;
    body_ = std::move(body);
    return map;
  }

  // Null when empty, so an empty map allocates nothing.
  std::shared_ptr<const Map> body_;
};

}  // namespace acd::core

#endif  // ACD_SERVER_CORE_COW_MAP_H_
