// The rule that keeps an unauthenticated acdd off the network: listening on
// anything but a loopback address needs auth (tokens, or mTLS client certs)
// unless the operator says --insecure.
//
// Thread safety: pure functions.
#ifndef ACD_SERVER_APP_EXPOSURE_H_
#define ACD_SERVER_APP_EXPOSURE_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "server/config/config.h"

namespace acd::app {

// Whether `listen` (host:port or [v6]:port, as server.listen) accepts only
// connections from this host: localhost, 127.0.0.0/8, ::1 (or ::ffff:127.x).
// Any other host, a wildcard (0.0.0.0, [::]) or a host name included, is not.
bool IsLoopback(absl::string_view listen);

// OK when `server` listens on loopback, or callers must authenticate (auth
// tokens, or TLS with client_ca), or `insecure`; and likewise for the HTTP
// front (server.http), where only auth tokens count. Else
// FAILED_PRECONDITION saying why and how to fix it.
absl::Status CheckExposure(const config::Config& config, bool insecure);

}  // namespace acd::app

#endif  // ACD_SERVER_APP_EXPOSURE_H_
