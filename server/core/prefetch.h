// Prefetch hints for routing decisions.
//
// At 100,000 waiting calls and 10,000 agents the structures one decision
// reads (the agent, the call, the call's position block, their skills and
// attributes) are out of the caches: each is a miss of a few hundred cycles,
// and read one after another they were most of the decision. Asking for them
// early, as soon as their address is known, lets the misses overlap with
// each other and with the work in between. A hint only: behaviour never
// depends on it, and in cache it costs a few cycles.
//
// (absl has the same hint only as base_internal in Debian's abseil.)
//
// Thread safety: stateless.
#ifndef ACD_SERVER_CORE_PREFETCH_H_
#define ACD_SERVER_CORE_PREFETCH_H_

#include <cstddef>
#include <cstdint>

namespace acd::core {

inline constexpr size_t kCacheLine = 64;

inline void Prefetch(const void* address) { __builtin_prefetch(address); }

// Every line of [begin, begin + bytes), including a last line that only
// part of the range reaches.
inline void PrefetchBytes(const void* begin, size_t bytes) {
  auto first = reinterpret_cast<uintptr_t>(begin) & ~(uintptr_t{kCacheLine} - 1);
  auto end = reinterpret_cast<uintptr_t>(begin) + bytes;
  for (uintptr_t line = first; line < end; line += kCacheLine) {
    const char* p = reinterpret_cast<const char*>(line);
    Prefetch(p);
    // GCC deletes a loop without side effects (-ffinite-loops, on at -O2)
    // and does not count a prefetch as one: this empty statement keeps it.
    asm volatile("" : : "r"(p));
  }
}

template <typename T>
void PrefetchObject(const T& object) {
  PrefetchBytes(&object, sizeof(T));
}

// The node holding an absl btree's first element: in a small tree (a group's
// others, best first) the only node, and the next head. Finding it reads the
// tree's root, so this is a load, not only a hint; issue it with others.
template <typename Tree>
void PrefetchFirstNode(const Tree& tree) {
  if (!tree.empty()) Prefetch(&*tree.begin());
}

}  // namespace acd::core

#endif  // ACD_SERVER_CORE_PREFETCH_H_
