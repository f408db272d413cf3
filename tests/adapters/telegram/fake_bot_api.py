#!/usr/bin/env python3
"""A fake Telegram Bot API for tests: the methods reglamentd uses, on 127.0.0.1.

Serves POST /bot<TOKEN>/<method> (getUpdates with offset/timeout long polling,
sendMessage, answerCallbackQuery, getFile, getMe) and GET /file/bot<TOKEN>/<path>, with
payloads in the shapes of https://core.telegram.org/bots/api (Update, Message, User,
Chat, CallbackQuery, File, ResponseParameters). A wrong token gets 401/404 as Telegram
answers. The test drives it through /control/*:

  POST /control/update   an Update without update_id (one is assigned); returns it
  POST /control/press    {"chat_id", "message_id", "button", "from", "inaccessible"}:
                         a callback_query for a button of a message the bot sent
  POST /control/file     {"file_id", "path", "data_b64", "announce_size"}: a file for getFile
  POST /control/fail     {"method", "status", "times", "retry_after", "description", "after"}:
                         after `after` calls, the next `times` calls of `method` fail that way
  GET  /control/calls    every call received: [{"method", "params", "at"}...] (at: monotonic seconds)
  GET  /control/state    {"confirmed": offset, "pending": n, "polls": n}

Prints the port on the first line of stdout once listening. Standard library only.
"""
import argparse
import base64
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Condition()
updates = []          # pending Update objects, oldest first
next_update_id = 100000
confirmed = 0         # the highest offset getUpdates was called with
polls = 0
calls = []            # [{"method", "params", "at"?}]
failures = {}         # method -> [{"status", "retry_after", "description"}...]
files = {}            # file_id -> {"path", "data", "announce_size"}
by_path = {}          # path -> bytes
sent = {}             # (chat_id, message_id) -> Message
next_message_id = {}  # chat_id -> int
BOT = {"id": 7000001, "is_bot": True, "first_name": "Reglament", "username": "reglament_test_bot"}
TOKEN = ""


def error_body(status, description, retry_after=None):
    body = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return body


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: the test prints what matters
        pass

    def reply(self, status, body, content_type="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_json(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return {}
        return json.loads(raw.decode("utf-8"))

    def do_GET(self):
        if self.path == "/control/calls":
            with lock:
                return self.reply(200, calls)
        if self.path == "/control/state":
            with lock:
                return self.reply(200, {"confirmed": confirmed, "pending": len(updates), "polls": polls})
        prefix = "/file/bot" + TOKEN + "/"
        if self.path.startswith(prefix):
            path = self.path[len(prefix):]
            with lock:
                calls.append({"method": "download", "params": {"path": path}})
                fail = take_failure("download")
                data = by_path.get(path)
            if fail:
                return self.reply(fail["status"], error_body(fail["status"], fail["description"]))
            if data is None:
                return self.reply(404, error_body(404, "Not Found"))
            return self.reply(200, data, "application/octet-stream")
        self.reply(404, error_body(404, "Not Found"))

    def do_POST(self):
        try:
            params = self.read_json()
        except ValueError:
            return self.reply(400, error_body(400, "Bad Request: can't parse JSON"))
        if self.path.startswith("/control/"):
            return self.control(self.path[len("/control/"):], params)
        parts = self.path.split("/")
        if len(parts) != 3 or not parts[1].startswith("bot"):
            return self.reply(404, error_body(404, "Not Found"))
        if parts[1][3:] != TOKEN:
            return self.reply(401, error_body(401, "Unauthorized"))
        method = parts[2]
        with lock:
            calls.append({"method": method, "params": params, "at": time.monotonic()})
            fail = take_failure(method)
        if fail:
            return self.reply(fail["status"], error_body(fail["status"], fail["description"], fail.get("retry_after")))
        handler = getattr(self, "m_" + method, None)
        if not handler:
            return self.reply(404, error_body(404, "Not Found: method not found"))
        return handler(params)

    # Bot API methods ---------------------------------------------------------------

    def m_getMe(self, params):
        self.reply(200, {"ok": True, "result": BOT})

    def m_getUpdates(self, params):
        global confirmed, polls
        offset = int(params.get("offset", 0))
        timeout = float(params.get("timeout", 0))
        deadline = time.monotonic() + timeout
        with lock:
            polls += 1
            if offset:
                confirmed = max(confirmed, offset)
                updates[:] = [u for u in updates if u["update_id"] >= offset]
            while True:
                ready = [u for u in updates if u["update_id"] >= offset]
                left = deadline - time.monotonic()
                if ready or left <= 0:
                    break
                lock.wait(min(left, 0.5))
        self.reply(200, {"ok": True, "result": ready[:100]})

    def m_sendMessage(self, params):
        chat_id = params.get("chat_id")
        text = params.get("text", "")
        if chat_id in (None, ""):
            return self.reply(400, error_body(400, "Bad Request: chat_id is empty"))
        if str(chat_id) == "404404":
            return self.reply(400, error_body(400, "Bad Request: chat not found"))
        if str(chat_id) == "403403":
            return self.reply(403, error_body(403, "Forbidden: bot was blocked by the user"))
        if not text:
            return self.reply(400, error_body(400, "Bad Request: message text is empty"))
        if len(text) > 4096:
            return self.reply(400, error_body(400, "Bad Request: message is too long"))
        markup = params.get("reply_markup")
        if markup:
            for row in markup.get("inline_keyboard", []):
                for b in row:
                    if len(b.get("callback_data", "").encode()) > 64:
                        return self.reply(400, error_body(400, "Bad Request: BUTTON_DATA_INVALID"))
        cid = int(chat_id)
        with lock:
            mid = next_message_id.get(cid, 1)
            next_message_id[cid] = mid + 1
            msg = {"message_id": mid, "from": BOT,
                   "chat": {"id": cid, "first_name": "Client", "type": "private"},
                   "date": int(time.time()), "text": text}
            if markup:
                msg["reply_markup"] = markup
            sent[(cid, mid)] = msg
        self.reply(200, {"ok": True, "result": msg})

    def m_answerCallbackQuery(self, params):
        if not params.get("callback_query_id"):
            return self.reply(400, error_body(400, "Bad Request: query is too old and response timeout expired or query ID is invalid"))
        self.reply(200, {"ok": True, "result": True})

    def m_getFile(self, params):
        f = files.get(params.get("file_id", ""))
        if not f:
            return self.reply(400, error_body(400, "Bad Request: invalid file_id"))
        self.reply(200, {"ok": True, "result": {
            "file_id": params["file_id"], "file_unique_id": "u" + params["file_id"],
            "file_size": f["announce_size"], "file_path": f["path"]}})

    # Control ------------------------------------------------------------------------

    def control(self, what, params):
        global next_update_id
        if what == "update":
            with lock:
                u = dict(params)
                if "update_id" not in u:
                    u["update_id"] = next_update_id
                    next_update_id += 1
                updates.append(u)
                lock.notify_all()
            return self.reply(200, u)
        if what == "press":
            cid = int(params["chat_id"])
            with lock:
                msg = sent.get((cid, int(params["message_id"])))
                if not msg:
                    return self.reply(404, {"error": "no such sent message"})
                button = msg["reply_markup"]["inline_keyboard"][int(params["button"])][0]
                shown = msg
                if params.get("inaccessible"):
                    shown = {"chat": msg["chat"], "message_id": msg["message_id"], "date": 0}
                u = {"update_id": next_update_id, "callback_query": {
                    "id": str(4400000000 + next_update_id), "from": params["from"], "message": shown,
                    "chat_instance": "-5000000000000000001", "data": params.get("data", button["callback_data"])}}
                next_update_id += 1
                updates.append(u)
                lock.notify_all()
            return self.reply(200, u)
        if what == "file":
            data = base64.b64decode(params.get("data_b64", ""))
            with lock:
                files[params["file_id"]] = {"path": params["path"],
                                            "announce_size": params.get("announce_size", len(data))}
                by_path[params["path"]] = data
            return self.reply(200, {"ok": True})
        if what == "fail":
            with lock:
                lst = failures.setdefault(params["method"], [])
                for _ in range(int(params.get("times", 1))):
                    lst.append({"status": int(params["status"]), "retry_after": params.get("retry_after"),
                                "after": int(params.get("after", 0)),
                                "description": params.get("description", "Internal Server Error")})
            return self.reply(200, {"ok": True})
        self.reply(404, {"error": "unknown control " + what})


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that hung up mid-poll (the bot stopping) is expected, not news.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def take_failure(method):
    lst = failures.get(method)
    if not lst:
        return None
    if lst[0]["after"] > 0:  # let this many calls through first
        lst[0]["after"] -= 1
        return None
    return lst.pop(0)


def main():
    global TOKEN
    p = argparse.ArgumentParser()
    p.add_argument("--token", required=True)
    p.add_argument("--port", type=int, default=0)
    args = p.parse_args()
    TOKEN = args.token
    server = Server(("127.0.0.1", args.port), Handler)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
