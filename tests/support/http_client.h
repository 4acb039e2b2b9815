// HttpGet: one HTTP request with libcurl, for tests of acdd's HTTP front
// (loopback only, 10 s timeout).
#ifndef ACD_TESTS_SUPPORT_HTTP_CLIENT_H_
#define ACD_TESTS_SUPPORT_HTTP_CLIENT_H_

#include <curl/curl.h>

#include <string>
#include <vector>

namespace acd::testing {

struct HttpResult {
  long status = 0;  // 0: no answer (see error)
  std::string body;
  std::string content_type;
  std::string error;
};

inline HttpResult HttpGet(const std::string& url, const std::vector<std::string>& headers = {},
                          const char* method = "GET") {
  HttpResult result;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    result.error = "curl_easy_init failed";
    return result;
  }
  curl_slist* list = nullptr;
  for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
  auto append = +[](char* data, size_t size, size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
  };
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
  if (std::string(method) == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  CURLcode code = curl_easy_perform(curl);
  if (code == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
    char* type = nullptr;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
    if (type != nullptr) result.content_type = type;
  } else {
    result.error = curl_easy_strerror(code);
  }
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return result;
}

}  // namespace acd::testing

#endif  // ACD_TESTS_SUPPORT_HTTP_CLIENT_H_
