// RankedSet: an ordered set of unique keys that also answers how many keys
// come before a given one (its rank): a caller's position in its queue.
//
// Kept as a row of sorted blocks of at most kMaxBlock keys, with each block's
// last key and size in their own contiguous arrays. An insert, erase or rank
// reads those two arrays and one block: a few contiguous runs of memory, where
// a balanced tree walks ~log2(n) nodes scattered over the heap. At 100,000
// waiting calls every one of those nodes was a cache (and TLB) miss, and the
// walk was the largest part of taking a call out of the index.
//
// Costs with n keys and b = n / kMaxBlock blocks: insert and erase are
// O(log b + kMaxBlock), plus O(b) when a block splits or merges (once per
// ~kMaxBlock / 2 changes); rank is O(log b + b) (it sums the sizes of the
// blocks before, 4 bytes each).
//
// With `Earlier` (a second strict weak order), each block also keeps its
// earliest key by that order, and `earliest()` answers in O(b): a queue's
// longest-waiting call, for stats, at no extra cache miss per change (the
// block is in cache already), where a second ordered set of the same keys
// cost as much as this one.
//
// Thread safety: none (the engine's thread only).
#ifndef ACD_SERVER_CORE_RANKED_SET_H_
#define ACD_SERVER_CORE_RANKED_SET_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <numeric>
#include <type_traits>
#include <vector>

#include "server/core/prefetch.h"

namespace acd::core {

// `Earlier` void: no earliest keys kept.
template <typename Key, typename Less = std::less<Key>, typename Earlier = void>
class RankedSet {
  static constexpr bool kKeepsEarliest = !std::is_void_v<Earlier>;

 public:
  static constexpr size_t kMaxBlock = 64;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Adds `key`; false if an equal key is there already.
  bool insert(const Key& key) {
    if (blocks_.empty()) {
      blocks_.push_back(NewBlock(&key, &key + 1));
      lasts_.push_back(key);
      sizes_.push_back(1);
      if constexpr (kKeepsEarliest) earliest_.push_back(key);
      size_ = 1;
      return true;
    }
    const size_t b = BlockFor(key);
    std::vector<Key>& block = blocks_[b];
    auto it = std::lower_bound(block.begin(), block.end(), key, less_);
    if (it != block.end() && !less_(key, *it)) return false;
    // A key past every other: a queue's usual arrival.
    const bool appended = it == block.end() && b + 1 == blocks_.size();
    block.insert(it, key);
    lasts_[b] = block.back();
    ++sizes_[b];
    if constexpr (kKeepsEarliest) {
      if (earlier_(key, earliest_[b])) earliest_[b] = key;
    }
    ++size_;
    // Appends leave full blocks behind them (split at the new key, as B-trees
    // do for sequential inserts): halves would stay half empty, since a queue
    // inserts behind them no more.
    if (block.size() > kMaxBlock) Split(b, appended ? block.size() - 1 : block.size() / 2);
    return true;
  }

  // Removes the key equal to `key`; false if there is none.
  bool erase(const Key& key) {
    if (blocks_.empty()) return false;
    const size_t b = BlockFor(key);
    std::vector<Key>& block = blocks_[b];
    auto it = std::lower_bound(block.begin(), block.end(), key, less_);
    if (it == block.end() || less_(key, *it)) return false;
    block.erase(it);
    --sizes_[b];
    --size_;
    if (block.empty()) {
      Remove(b);
    } else {
      lasts_[b] = block.back();
      if constexpr (kKeepsEarliest) {
        if (!earlier_(earliest_[b], key)) earliest_[b] = EarliestOf(block);
      }
      if (block.size() < kMaxBlock / 4) MergeWithNext(b > 0 && b + 1 == blocks_.size() ? b - 1 : b);
    }
    return true;
  }

  // How many keys are less than `key` (which need not be in the set).
  size_t order_of_key(const Key& key) const {
    if (blocks_.empty()) return 0;
    const size_t b = BlockFor(key);
    const std::vector<Key>& block = blocks_[b];
    const size_t before = std::accumulate(sizes_.begin(), sizes_.begin() + b, size_t{0});
    return before + (std::lower_bound(block.begin(), block.end(), key, less_) - block.begin());
  }

  // Prefetch hints (prefetch.h) for a change at `key`, in two steps: first the
  // arrays that find its block, then, once those have arrived, the block.
  void PrefetchIndex() const {
    PrefetchBytes(lasts_.data(), lasts_.size() * sizeof(Key));
    PrefetchBytes(sizes_.data(), sizes_.size() * sizeof(uint32_t));
    PrefetchBytes(blocks_.data(), blocks_.size() * sizeof(blocks_[0]));
  }
  void PrefetchBlockOf(const Key& key) const {
    if (blocks_.empty()) return;
    const std::vector<Key>& block = blocks_[BlockFor(key)];
    PrefetchBytes(block.data(), block.size() * sizeof(Key));
  }

  // The earliest key by `Earlier`; null when empty.
  const Key* earliest() const requires kKeepsEarliest {
    const Key* first = nullptr;
    for (const Key& key : earliest_) {
      if (first == nullptr || earlier_(key, *first)) first = &key;
    }
    return first;
  }

 private:
  const Key& EarliestOf(const std::vector<Key>& block) const {
    return *std::min_element(block.begin(), block.end(), earlier_);
  }

  // The block `key` belongs in: the first whose last key is not less than
  // it, or the last block for a key above them all.
  size_t BlockFor(const Key& key) const {
    const auto it = std::lower_bound(lasts_.begin(), lasts_.end(), key, less_);
    return it == lasts_.end() ? lasts_.size() - 1 : static_cast<size_t>(it - lasts_.begin());
  }

  // Every block holds room for kMaxBlock + 1 keys, no more: left to grow,
  // a vector doubles to 128 and keeps that room after a split, which took
  // twice the memory of the keys.
  static std::vector<Key> NewBlock(const Key* first, const Key* last) {
    std::vector<Key> block;
    block.reserve(kMaxBlock + 1);
    block.assign(first, last);
    return block;
  }

  // Keys from `at` on go to a new block after b.
  void Split(size_t b, size_t at) {
    std::vector<Key>& block = blocks_[b];
    std::vector<Key> upper = NewBlock(block.data() + at, block.data() + block.size());
    block.resize(at);
    lasts_[b] = block.back();
    sizes_[b] = static_cast<uint32_t>(at);
    lasts_.insert(lasts_.begin() + b + 1, upper.back());
    sizes_.insert(sizes_.begin() + b + 1, static_cast<uint32_t>(upper.size()));
    if constexpr (kKeepsEarliest) {
      earliest_[b] = EarliestOf(block);
      earliest_.insert(earliest_.begin() + b + 1, EarliestOf(upper));
    }
    blocks_.insert(blocks_.begin() + b + 1, std::move(upper));
  }

  // Joins block b+1 into block b when both fit in one.
  void MergeWithNext(size_t b) {
    if (b + 1 >= blocks_.size()) return;
    if (blocks_[b].size() + blocks_[b + 1].size() > kMaxBlock) return;
    blocks_[b].insert(blocks_[b].end(), blocks_[b + 1].begin(), blocks_[b + 1].end());
    lasts_[b] = blocks_[b].back();
    sizes_[b] = static_cast<uint32_t>(blocks_[b].size());
    if constexpr (kKeepsEarliest) {
      if (earlier_(earliest_[b + 1], earliest_[b])) earliest_[b] = earliest_[b + 1];
    }
    Remove(b + 1);
  }

  void Remove(size_t b) {
    blocks_.erase(blocks_.begin() + b);
    lasts_.erase(lasts_.begin() + b);
    sizes_.erase(sizes_.begin() + b);
    if constexpr (kKeepsEarliest) earliest_.erase(earliest_.begin() + b);
  }

  // std::less<Key> stands in when there is no `Earlier`, so members stay
  // declarable; it is never used then.
  using EarlierOrder = std::conditional_t<kKeepsEarliest, Earlier, std::less<Key>>;

  [[no_unique_address]] Less less_;
  [[no_unique_address]] EarlierOrder earlier_;
  std::vector<std::vector<Key>> blocks_;
  std::vector<Key> lasts_;       // blocks_[i].back()
  std::vector<uint32_t> sizes_;  // blocks_[i].size(), summed for ranks
  std::vector<Key> earliest_;    // with Earlier: blocks_[i]'s earliest key
  size_t size_ = 0;
};

}  // namespace acd::core

#endif  // ACD_SERVER_CORE_RANKED_SET_H_
