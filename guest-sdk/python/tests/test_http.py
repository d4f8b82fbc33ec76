"""Outbound HTTP from Python functions under plain CPython: fnhost_http's wasi:http transport,
urllib.request through it, and fnhost's urllib3, over the fake wasi:http of fake_wasi_http.py
(no WebAssembly). Run: python3 -m unittest discover -s guest-sdk/python/tests

The e2e tests (host/cli/tests/all/exec_python_http.rs) run the same code in a real function
against real servers.
"""

import contextlib
import gzip
import importlib.util
import io
import json
import os
import sys
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SDK = os.path.dirname(HERE)
AWS = os.path.join(SDK, "aws")
ROOT = os.path.dirname(os.path.dirname(SDK))
if AWS not in sys.path:
    sys.path.insert(0, AWS)
if SDK not in sys.path:
    sys.path.insert(1, SDK)

import fake_wasi_http  # noqa: E402

NET = fake_wasi_http.install()

import fnhost_http  # noqa: E402

fnhost_http.install()

import urllib3  # noqa: E402
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError, ReadTimeoutError  # noqa: E402

OK = "http://127.0.0.1:8081"
DENIED = "http://10.1.2.3:9000"


def denial(url, origin):
    return f'outbound request to {url} denied: function "f" may not reach {origin}; add "{origin}" to its allowed_outbound_hosts'


class Case(unittest.TestCase):
    def setUp(self):
        NET.reset()

    def assert_all_released(self):
        self.assertEqual(NET.live, set(), "wasi resources still held")


class Transport(Case):
    def test_a_get_sets_method_scheme_authority_and_path(self):
        response = fnhost_http.send("get", "https://api.example.com/echo?page=2#frag", {"Accept": "application/json"})
        self.assertEqual(response.status, 200)
        sent = NET.sent[0]
        self.assertEqual((sent.method, sent.scheme, sent.authority, sent.path), ("GET", "https", "api.example.com", "/echo?page=2"))
        self.assertEqual(sent.headers, [("Accept", b"application/json")])
        self.assertFalse(sent.body_taken)
        self.assertIsNone(sent.options)
        response.body.close()
        self.assert_all_released()

    def test_hop_by_hop_headers_are_dropped_not_refused(self):
        fnhost_http.send("GET", OK + "/echo", [("Host", "evil"), ("Connection", "close"), ("Transfer-Encoding", "chunked"), ("X-Kept", "1")]).body.close()
        self.assertEqual(NET.sent[0].headers, [("X-Kept", b"1")])

    def test_a_body_is_written_after_handle_within_the_write_budget_and_finished(self):
        payload = bytes(range(256)) * 400  # 100 KiB: many check-write rounds
        response = fnhost_http.send("POST", OK + "/echo", {"Content-Type": "application/octet-stream"}, payload)
        sent = NET.sent[0]
        self.assertEqual(sent.body, payload)
        self.assertEqual(sent.header("content-length"), str(len(payload)))
        self.assertGreaterEqual(NET.check_writes, len(payload) // fake_wasi_http.WRITE_BUDGET)
        response.body.read()
        response.body.close()
        self.assert_all_released()

    def test_an_early_answer_while_the_body_is_sent_is_the_result(self):
        NET.server_stops_reading_after = 8192
        NET.failures[OK] = lambda sent: fake_wasi_http.Reply(413, [("content-type", "text/plain")], [b"too large"])
        response = fnhost_http.send("POST", OK + "/upload", {}, b"x" * 100_000)
        self.assertEqual((response.status, response.body.read()), (413, b"too large"))
        self.assertLess(len(NET.sent[0].body), 100_000)
        response.body.close()
        self.assert_all_released()

    def test_a_body_of_unknown_length_goes_without_content_length(self):
        chunks = (c for c in [b"one,", b"two,", b"three"])
        fnhost_http.send("PUT", OK + "/echo", {}, chunks).body.close()
        self.assertEqual(NET.sent[0].body, b"one,two,three")
        self.assertIsNone(NET.sent[0].header("content-length"))
        fnhost_http.send("PUT", OK + "/echo", {}, io.BytesIO(b"from a file")).body.close()
        self.assertEqual(NET.sent[1].body, b"from a file")

    def test_post_without_a_body_says_content_length_zero(self):
        fnhost_http.send("POST", OK + "/echo").body.close()
        self.assertEqual(NET.sent[0].header("content-length"), "0")
        self.assertFalse(NET.sent[0].body_taken)

    def test_a_wrong_content_length_is_the_hosts_error(self):
        with self.assertRaises(fnhost_http.OutboundError) as e:
            fnhost_http.send("PUT", OK + "/echo", {"Content-Length": "5"}, b"abc")
        self.assertEqual(e.exception.code, "http-request-body-size")
        self.assertIn("HTTP request body size (3)", str(e.exception))

    def test_timeouts_become_request_options_in_nanoseconds(self):
        fnhost_http.send("GET", OK + "/echo", connect_timeout=1.5, read_timeout=0.25).body.close()
        self.assertEqual(NET.sent[0].options, {"connect": 1_500_000_000, "first_byte": 250_000_000, "between_bytes": 250_000_000})

    def test_the_hosts_refusal_is_the_message_verbatim_and_nothing_leaks(self):
        with self.assertRaises(fnhost_http.OutboundError) as e:
            fnhost_http.send("PUT", DENIED + "/x", {}, b"body")
        self.assertEqual(str(e.exception), denial(DENIED + "/x", DENIED))
        self.assertEqual(e.exception.code, "internal-error")
        self.assert_all_released()
        NET.refuse_in_handle = True
        with self.assertRaises(fnhost_http.OutboundError) as e:
            fnhost_http.send("GET", DENIED + "/y")
        self.assertEqual(str(e.exception), denial(DENIED + "/y", DENIED))
        self.assert_all_released()

    def test_other_error_codes_read_as_text(self):
        NET.failures[OK] = fake_wasi_http.code("ConnectionRefused")
        with self.assertRaises(ConnectionRefusedError) as e:
            fnhost_http.send("GET", OK + "/")
        self.assertEqual(str(e.exception), "connection refused")
        NET.failures[OK] = fake_wasi_http.code("HttpResponseTimeout")
        with self.assertRaises(TimeoutError):
            fnhost_http.send("GET", OK + "/")
        NET.failures[OK] = fake_wasi_http.code("DnsError", fake_wasi_http.DnsErrorPayload("NXDOMAIN", None))
        with self.assertRaises(fnhost_http.OutboundError) as e:
            fnhost_http.send("GET", OK + "/")
        self.assertEqual(str(e.exception), "DNS lookup failed (NXDOMAIN)")
        NET.failures[OK] = fake_wasi_http.code("TlsCertificateError")
        with self.assertRaises(fnhost_http.OutboundError) as e:
            fnhost_http.send("GET", OK + "/")
        self.assertEqual(e.exception.code, "tls-certificate-error")
        NET.failures[OK] = fake_wasi_http.code("InternalError", None)
        with self.assertRaises(fnhost_http.OutboundError) as e:
            fnhost_http.send("GET", OK + "/")
        self.assertEqual(str(e.exception), "internal error in the host's HTTP client")

    def test_a_body_error_midway_surfaces_the_hosts_message(self):
        cap = "response from http://127.0.0.1:8081/bytes exceeds the 1024-byte limit of function \"f\""
        NET.failures[OK] = lambda sent: fake_wasi_http.Reply(200, [], [b"x" * 1024], body_error=fake_wasi_http.code("InternalError", cap))
        response = fnhost_http.send("GET", OK + "/bytes")
        with self.assertRaises(fnhost_http.OutboundError) as e:
            response.body.read()
        self.assertEqual(str(e.exception), cap)
        self.assert_all_released()

    def test_only_http_and_https(self):
        with self.assertRaises(fnhost_http.OutboundError) as e:
            fnhost_http.send("GET", "ftp://127.0.0.1/x")
        self.assertIn("only http and https", str(e.exception))
        self.assertEqual(NET.sent, [])

    def test_userinfo_becomes_basic_auth(self):
        fnhost_http.send("GET", "http://ada:s%3Dcret@127.0.0.1:8081/echo").body.close()
        self.assertEqual(NET.sent[0].authority, "127.0.0.1:8081")
        self.assertEqual(NET.sent[0].header("authorization"), "Basic YWRhOnM9Y3JldA==")


class Urllib(Case):
    def test_urlopen_get(self):
        with urllib.request.urlopen(OK + "/echo?x=1", timeout=5) as response:
            self.assertEqual((response.status, response.code, response.getcode(), response.reason), (200, 200, 200, "OK"))
            self.assertEqual(response.headers["Content-Type"], "application/json")
            self.assertEqual(response.getheader("content-type"), "application/json")
            self.assertEqual(response.geturl(), OK + "/echo?x=1")
            echoed = json.loads(response.read())
        self.assertEqual(echoed["method"], "GET")
        self.assertEqual(echoed["path"], "/echo?x=1")
        self.assertTrue(echoed["headers"]["user-agent"].startswith("Python-urllib/"))
        self.assertNotIn("host", echoed["headers"])
        self.assertNotIn("connection", echoed["headers"])
        self.assertEqual(NET.sent[0].options["connect"], 5_000_000_000)
        self.assert_all_released()

    def test_urlopen_post_form_and_json(self):
        with urllib.request.urlopen(OK + "/echo", data=b"a=1&b=2") as response:
            echoed = json.loads(response.read())
        self.assertEqual(echoed["method"], "POST")
        self.assertEqual(echoed["body"], "a=1&b=2")
        self.assertEqual(echoed["headers"]["content-type"], "application/x-www-form-urlencoded")
        self.assertEqual(echoed["headers"]["content-length"], "7")
        request = urllib.request.Request(OK + "/echo", data=b'{"k":1}', headers={"Content-Type": "application/json"}, method="PUT")
        with urllib.request.urlopen(request) as response:
            echoed = json.loads(response.read())
        self.assertEqual((echoed["method"], echoed["body"], echoed["headers"]["content-type"]), ("PUT", '{"k":1}', "application/json"))

    def test_https_urls_go_through_the_host_too(self):
        with urllib.request.urlopen("https://api.example.com/echo") as response:
            self.assertEqual(response.status, 200)
        self.assertEqual(NET.sent[0].scheme, "https")

    def test_a_refusal_is_urlerror_whose_reason_is_the_hosts_message(self):
        with self.assertRaises(urllib.error.URLError) as e:
            urllib.request.urlopen(DENIED + "/hook")
        self.assertNotIsInstance(e.exception, urllib.error.HTTPError)
        self.assertEqual(str(e.exception.reason), denial(DENIED + "/hook", DENIED))
        self.assertIsInstance(e.exception.reason, OSError)
        self.assertIn(denial(DENIED + "/hook", DENIED), str(e.exception))
        self.assert_all_released()

    def test_redirects_are_followed_and_each_hop_is_checked(self):
        with urllib.request.urlopen(OK + "/redirect?to=/echo") as response:
            self.assertEqual(json.loads(response.read())["path"], "/echo")
            self.assertEqual(response.geturl(), OK + "/echo")
        self.assertEqual([s.path for s in NET.sent], ["/redirect?to=/echo", "/echo"])
        NET.sent.clear()
        with self.assertRaises(urllib.error.URLError) as e:
            urllib.request.urlopen(OK + "/redirect?to=" + DENIED + "/stolen")
        self.assertEqual(str(e.exception.reason), denial(DENIED + "/stolen", DENIED))
        self.assertEqual([s.url for s in NET.sent], [OK + "/redirect?to=" + DENIED + "/stolen", DENIED + "/stolen"])
        self.assert_all_released()

    def test_error_statuses_are_httperror_with_the_body(self):
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(OK + "/status/404")
        self.assertEqual(e.exception.code, 404)
        self.assertEqual(e.exception.reason, "Not Found")
        self.assertEqual(e.exception.read(), b"status 404")
        e.exception.close()

    def test_timeouts_are_urlerror_with_a_timeout_reason(self):
        NET.failures[OK] = fake_wasi_http.code("HttpResponseTimeout")
        with self.assertRaises(urllib.error.URLError) as e:
            urllib.request.urlopen(OK + "/hang", timeout=2)
        self.assertIsInstance(e.exception.reason, TimeoutError)
        self.assertEqual(str(e.exception.reason), "timed out waiting for the response")

    def test_a_large_body_streams_in_pieces(self):
        with urllib.request.urlopen(OK + "/bytes?n=300000") as response:
            first = response.read(1000)
            rest = response.read()
        self.assertEqual(len(first) + len(rest), 300000)
        self.assertEqual(set(first + rest), {ord("x")})
        self.assert_all_released()

    def test_openers_built_by_the_function_use_the_host(self):
        opener = urllib.request.build_opener()
        kinds = {type(h) for h in opener.handlers}
        self.assertIn(fnhost_http.FnhostHTTPHandler, kinds)
        with opener.open(OK + "/echo") as response:
            self.assertEqual(response.status, 200)
        https = urllib.request.build_opener(urllib.request.HTTPSHandler(context=None))
        with https.open("https://api.example.com/echo") as response:
            self.assertEqual(response.status, 200)

    def test_closing_early_releases_the_stream(self):
        response = urllib.request.urlopen(OK + "/bytes?n=200000")
        response.read(10)
        response.close()
        self.assert_all_released()


class Urllib3(Case):
    def test_poolmanager_get(self):
        http = urllib3.PoolManager()
        r = http.request("GET", OK + "/echo", headers={"X-Trace": "t1"})
        self.assertEqual((r.status, r.reason), (200, "OK"))
        self.assertEqual(r.headers["Content-Type"], "application/json")
        self.assertEqual(r.headers["content-type"], r.headers["CONTENT-TYPE"])
        self.assertIn("content-LENGTH", r.headers)
        self.assertEqual(r.getheader("Content-Type"), "application/json")
        self.assertEqual(r.json()["headers"]["x-trace"], "t1")
        self.assertEqual(json.loads(r.data)["method"], "GET")
        self.assertEqual(r.url, OK + "/echo")
        self.assert_all_released()

    def test_the_module_level_request_has_a_3s_timeout(self):
        r = urllib3.request("GET", OK + "/echo")
        self.assertEqual(r.status, 200)
        self.assertEqual(NET.sent[0].options, {"connect": 3_000_000_000, "first_byte": 3_000_000_000, "between_bytes": 3_000_000_000})

    def test_timeout_objects(self):
        http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=1.0, read=7.0))
        http.request("GET", OK + "/echo")
        self.assertEqual(NET.sent[0].options, {"connect": 1_000_000_000, "first_byte": 7_000_000_000, "between_bytes": 7_000_000_000})
        http.request("GET", OK + "/echo", timeout=urllib3.Timeout(total=2.0))
        self.assertEqual(NET.sent[1].options["first_byte"], 2_000_000_000)
        urllib3.PoolManager().request("GET", OK + "/echo")
        self.assertIsNone(NET.sent[2].options)

    def test_the_tutorials_send_response_put(self):
        spec = importlib.util.spec_from_file_location("python_http_fixture", os.path.join(ROOT, "functions/python-http/lambda_function.py"))
        fixture = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(fixture)

        class Context:
            log_stream_name = "2026/11/30/[$LATEST]0123456789abcdef0123456789abcdef"

        event = {
            "RequestType": "Create",
            "ResponseURL": OK + "/echo?X-Amz-Signature=abc",
            "StackId": "arn:aws:cloudformation:us-east-1:000000000000:stack/demo/1",
            "RequestId": "req-1",
            "LogicalResourceId": "MyResource",
        }
        log = io.StringIO()
        with contextlib.redirect_stdout(log):
            self.assertEqual(fixture.lambda_handler(event, Context()), {"sent": event["ResponseURL"]})
        self.assertIn("Status code: 200", log.getvalue())
        sent = NET.sent[0]
        self.assertEqual((sent.method, sent.path), ("PUT", "/echo?X-Amz-Signature=abc"))
        self.assertEqual(sent.header("content-type"), "")
        self.assertEqual(sent.header("content-length"), str(len(sent.body)))
        body = json.loads(sent.body)
        self.assertEqual(body["Status"], "SUCCESS")
        self.assertEqual(body["PhysicalResourceId"], Context.log_stream_name)
        self.assertEqual((body["StackId"], body["RequestId"], body["LogicalResourceId"]), (event["StackId"], "req-1", "MyResource"))
        self.assertEqual(body["Data"], {"Message": "Resource created"})
        self.assert_all_released()

    def test_a_refusal_is_maxretryerror_from_newconnectionerror_and_is_not_retried(self):
        http = urllib3.PoolManager()
        with self.assertRaises(MaxRetryError) as e:
            http.request("POST", DENIED + "/hook", body=b"{}")
        self.assertIsInstance(e.exception.reason, NewConnectionError)
        self.assertIn(denial(DENIED + "/hook", DENIED), str(e.exception))
        self.assertIn(denial(DENIED + "/hook", DENIED), str(e.exception.reason))
        self.assertEqual(len(NET.sent), 1)
        with self.assertRaises(NewConnectionError) as e:
            http.request("GET", DENIED + "/x", retries=False)
        self.assertIn(denial(DENIED + "/x", DENIED), str(e.exception))
        self.assert_all_released()

    def test_connection_failures_are_retried_as_urllib3_does(self):
        NET.failures[OK] = fake_wasi_http.code("ConnectionRefused")
        with self.assertRaises(MaxRetryError) as e:
            urllib3.PoolManager().request("GET", OK + "/echo")
        self.assertIsInstance(e.exception.reason, NewConnectionError)
        self.assertIn("connection refused", str(e.exception))
        self.assertEqual(len(NET.sent), 4)  # Retry(3)
        NET.sent.clear()
        NET.failures[OK] = fake_wasi_http.code("HttpResponseTimeout")
        with self.assertRaises(ReadTimeoutError):
            urllib3.PoolManager().request("POST", OK + "/echo", body=b"x")  # POST: not retried on read errors
        self.assertEqual(len(NET.sent), 1)

    def test_status_retries(self):
        http = urllib3.PoolManager()
        with self.assertRaises(MaxRetryError) as e:
            http.request("GET", OK + "/status/503", retries=urllib3.Retry(total=2, status_forcelist=[503]))
        self.assertIn("too many 503 error responses", str(e.exception))
        self.assertEqual(len(NET.sent), 3)
        r = http.request("GET", OK + "/status/503", retries=urllib3.Retry(total=1, status_forcelist=[503], raise_on_status=False))
        self.assertEqual(r.status, 503)

    def test_redirects(self):
        http = urllib3.PoolManager()
        r = http.request("GET", OK + "/redirect?to=/echo")
        self.assertEqual((r.status, r.json()["path"]), (200, "/echo"))
        self.assertEqual(r.url, OK + "/echo")
        r = http.request("GET", OK + "/redirect?to=/echo", redirect=False)
        self.assertEqual((r.status, r.get_redirect_location()), (302, "/echo"))
        # 303 turns a POST into a GET without its body; 307 keeps both.
        r = http.request("POST", OK + "/redirect?status=303&to=/echo", body=b"payload", headers={"Content-Type": "text/plain"})
        self.assertEqual((r.json()["method"], r.json()["body"]), ("GET", ""))
        self.assertNotIn("content-type", r.json()["headers"])
        r = http.request("POST", OK + "/redirect?status=307&to=/echo", body=b"payload")
        self.assertEqual((r.json()["method"], r.json()["body"]), ("POST", "payload"))
        NET.sent.clear()
        # Another host: Authorization is dropped, and the host checks the new origin.
        NET.allowed.add("http://127.0.0.1:8082")
        r = http.request("GET", OK + "/redirect?to=http://127.0.0.1:8082/echo", headers={"Authorization": "Bearer s3cret", "X-Other": "kept"})
        self.assertNotIn("authorization", r.json()["headers"])
        self.assertEqual(r.json()["headers"]["x-other"], "kept")
        with self.assertRaises(MaxRetryError) as e:
            http.request("GET", OK + "/redirect?to=" + DENIED + "/stolen")
        self.assertIn(denial(DENIED + "/stolen", DENIED), str(e.exception))
        self.assert_all_released()

    def test_too_many_redirects(self):
        NET.failures[OK] = lambda sent: fake_wasi_http.Reply(302, [("location", "/loop")], [])
        with self.assertRaises(MaxRetryError) as e:
            urllib3.PoolManager().request("GET", OK + "/loop", retries=urllib3.Retry(redirect=2))
        self.assertIn("too many redirects", str(e.exception))
        self.assertEqual(len(NET.sent), 3)
        self.assert_all_released()

    def test_fields_and_json(self):
        http = urllib3.PoolManager()
        r = http.request("GET", OK + "/echo", fields={"q": "봄 사진", "n": "1"})
        self.assertEqual(r.json()["path"], "/echo?q=%EB%B4%84+%EC%82%AC%EC%A7%84&n=1")
        r = http.request("POST", OK + "/echo", fields={"name": "Ada", "file": ("a.txt", b"contents", "text/plain")})
        echoed = r.json()
        self.assertTrue(echoed["headers"]["content-type"].startswith("multipart/form-data; boundary="))
        self.assertIn('Content-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\ncontents', echoed["body"])
        r = http.request("POST", OK + "/echo", json={"name": "철수"})
        echoed = r.json()
        self.assertEqual((echoed["headers"]["content-type"], json.loads(echoed["body"])), ("application/json", {"name": "철수"}))
        with self.assertRaises(TypeError):
            http.request("POST", OK + "/echo", body=b"x", json={})

    def test_streaming_and_release(self):
        r = urllib3.PoolManager().request("GET", OK + "/bytes?n=200000", preload_content=False)
        sizes = [len(chunk) for chunk in r.stream(50000)]
        self.assertEqual(sum(sizes), 200000)
        self.assertTrue(all(s <= 50000 for s in sizes))
        r.release_conn()
        self.assert_all_released()
        r = urllib3.PoolManager().request("GET", OK + "/bytes?n=200000", preload_content=False)
        self.assertEqual(r.read(5), b"xxxxx")
        r.release_conn()
        self.assert_all_released()

    def test_gzip_is_decoded(self):
        r = urllib3.PoolManager().request("GET", OK + "/gzip")
        self.assertEqual(r.json(), {"compressed": True})
        r = urllib3.PoolManager().request("GET", OK + "/gzip", decode_content=False)
        self.assertEqual(gzip.decompress(r.data), b'{"compressed": true}')

    def test_a_body_error_is_protocolerror_with_the_message(self):
        cap = "response exceeds the limit"
        NET.failures[OK] = lambda sent: fake_wasi_http.Reply(200, [], [b"x" * 10], body_error=fake_wasi_http.code("InternalError", cap))
        with self.assertRaises(ProtocolError) as e:
            urllib3.PoolManager().request("GET", OK + "/bytes")
        self.assertIn(cap, str(e.exception))


class Multipart(unittest.TestCase):
    def test_request_fields_encode_as_urllib3s(self):
        from urllib3.fields import RequestField

        field = RequestField("doc", b"%PDF", filename='a "b".pdf')
        field.make_multipart(content_type="application/pdf")
        body, content_type = urllib3.encode_multipart_formdata([field, ("note", "hi")], boundary="XyZ")
        self.assertEqual(content_type, "multipart/form-data; boundary=XyZ")
        self.assertEqual(
            body,
            b'--XyZ\r\nContent-Disposition: form-data; name="doc"; filename="a %22b%22.pdf"\r\n'
            b"Content-Type: application/pdf\r\n\r\n%PDF\r\n"
            b'--XyZ\r\nContent-Disposition: form-data; name="note"\r\n\r\nhi\r\n--XyZ--\r\n',
        )


class HeaderDict(unittest.TestCase):
    def test_case_insensitive_and_repeated(self):
        h = urllib3.HTTPHeaderDict({"Set-Cookie": "a=1"})
        h.add("set-cookie", "b=2")
        self.assertEqual(h["SET-COOKIE"], "a=1, b=2")
        self.assertEqual(h.getlist("Set-Cookie"), ["a=1", "b=2"])
        self.assertEqual(list(h), ["Set-Cookie"])
        self.assertEqual(h.items(), [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
        self.assertEqual(h, {"set-cookie": "a=1, b=2"})
        h["Content-Type"] = "text/plain"
        self.assertEqual(h.get("content-type"), "text/plain")
        del h["CONTENT-type"]
        self.assertNotIn("content-type", h)
        copy = h.copy()
        copy.add("X", "1")
        self.assertNotIn("X", h)


class Shim(unittest.TestCase):
    def test_urllib3_is_fnhosts_even_when_the_package_bundles_the_real_one(self):
        import tempfile

        import fnhost_snapshot

        saved = (list(sys.path), list(sys.meta_path), dict(sys.modules))
        try:
            with tempfile.TemporaryDirectory() as task:
                os.makedirs(os.path.join(task, "urllib3"))
                with open(os.path.join(task, "urllib3", "__init__.py"), "w") as f:
                    f.write("raise ImportError(\"cannot import name 'ssl' from 'urllib3.util.ssl_'\")\n")
                sys.path.insert(0, task)
                for name in [n for n in sys.modules if n.partition(".")[0] == "urllib3"]:
                    del sys.modules[name]
                with self.assertRaises(ImportError):
                    __import__("urllib3")
                fnhost_snapshot.prefer_shims(AWS)
                import urllib3 as shim

                self.assertTrue(shim.__file__.startswith(AWS + os.sep), shim.__file__)
                self.assertTrue(hasattr(shim, "PoolManager"))
        finally:
            sys.path[:], sys.meta_path[:] = saved[0], saved[1]
            sys.modules.clear()
            sys.modules.update(saved[2])


if __name__ == "__main__":
    unittest.main()
