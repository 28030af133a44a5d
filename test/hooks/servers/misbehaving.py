#!/usr/bin/env python3
"""A hook server that misbehaves on purpose, for tests: --mode slow (answers {} after --delay seconds),
garbage (200 with a body that is not JSON), text (JSON as text/plain), status (answers --status with a
text body). Prints the URL it listens on; --record FILE appends each hook request received, one per line."""

import argparse
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

options = None
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', '0')))
        if options.record:
            with lock, open(options.record, 'ab') as file:
                file.write(body + b'\n')
        if options.mode == 'slow':
            time.sleep(options.delay)
            self.answer(200, 'application/json', b'{}')
        elif options.mode == 'garbage':
            self.answer(200, 'application/json', b'<html>Internal error</html>')
        elif options.mode == 'text':
            self.answer(200, 'text/plain', b'{}')
        else:
            self.answer(options.status, 'text/plain', b'database is down')

    def answer(self, status, content_type, payload):
        try:
            self.send_response(status)
            self.send_header('Content-Type', content_type)
            self.send_header('Content-Length', str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format, *args):
        pass


parser = argparse.ArgumentParser()
parser.add_argument('--host', default='127.0.0.1')
parser.add_argument('--port', type=int, default=0)
parser.add_argument('--mode', choices=['slow', 'garbage', 'text', 'status'], required=True)
parser.add_argument('--delay', type=float, default=5)
parser.add_argument('--status', type=int, default=500)
parser.add_argument('--record')
options = parser.parse_args()
server = ThreadingHTTPServer((options.host, options.port), Handler)
server.daemon_threads = True
print(f'listening on http://{options.host}:{server.server_address[1]}/', flush=True)
server.serve_forever()
