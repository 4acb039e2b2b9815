// Status propagation helpers for the store's .cc files (absl ships none).
// Internal to server/store: not part of its interface.
#ifndef ACD_SERVER_STORE_STATUS_MACROS_H_
#define ACD_SERVER_STORE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define ACD_RETURN_IF_ERROR(expr)                                                 \
  do {                                                                            \
    if (absl::Status acd_status_ = (expr); !acd_status_.ok()) return acd_status_; \
  } while (false)

#define ACD_STATUS_CONCAT_INNER_(a, b) a##b
#define ACD_STATUS_CONCAT_(a, b) ACD_STATUS_CONCAT_INNER_(a, b)

// `lhs = value of rexpr` (an absl::StatusOr<T>), or returns its error.
#define ACD_ASSIGN_OR_RETURN(lhs, rexpr) \
  ACD_ASSIGN_OR_RETURN_IMPL_(ACD_STATUS_CONCAT_(acd_statusor_, __LINE__), lhs, rexpr)

#define ACD_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr)   \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = *std::move(statusor)

#endif  // ACD_SERVER_STORE_STATUS_MACROS_H_
