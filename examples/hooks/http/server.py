#!/usr/bin/env python3
"""A hook server for resumable-gateway (and tusd v2): Python 3, standard library only.

    python3 examples/hooks/http/server.py --port 8000
    npx resumable-gateway --hooks-http http://127.0.0.1:8000/ \\
        --hooks-enabled-events pre-access,pre-create,post-create,post-receive,pre-terminate,post-terminate,post-finish

What it does, one event at a time (the JSON it gets is tusd's, see the README's "Hooks"):
  pre-access      refuses a request for an upload whose metadata names an `owner` unless the request
                  carries `Authorization: Bearer <owner>` (403 with a JSON body)
  pre-create      refuses an upload without a `filename` (400 "no filename provided"); otherwise gives it
                  an id of its own, `prefix-<uuid>`, and rewrites its metadata: the filename and the owner
                  are kept, `creation_time` is added, everything else is dropped
  post-receive    stops an upload (StopUpload) once it passed the byte offset in its `stop_after` metadata
  pre-terminate   refuses to remove an upload whose metadata has `protected`
  post-finish     prints where the finished upload is stored

--record FILE appends every hook request it receives, as received, one per line (tests read it).
"""

import argparse
import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class HookHandler(BaseHTTPRequestHandler):
    record = None
    record_lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', '0')))
        if self.record is not None:
            with self.record_lock, open(self.record, 'ab') as file:
                file.write(body + b'\n')
        hook = json.loads(body)
        response = self.respond(hook['Type'], hook['Event'])
        payload = json.dumps(response).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def respond(self, hook_type, event):
        upload = event['Upload']
        metadata = upload['MetaData']
        headers = event['HTTPRequest']['Header']

        if hook_type == 'pre-access':
            owner = metadata.get('owner')
            if owner is not None and headers.get('Authorization', [None])[0] != f'Bearer {owner}':
                return {
                    'RejectUpload': True,
                    'HTTPResponse': {
                        'StatusCode': 403,
                        'Body': json.dumps({'message': f'upload {upload["ID"]} belongs to someone else'}),
                        'Header': {'Content-Type': 'application/json'},
                    },
                }
            return {}

        if hook_type == 'pre-create':
            if 'filename' not in metadata:
                return {
                    'RejectUpload': True,
                    'HTTPResponse': {'StatusCode': 400, 'Body': 'no filename provided', 'Header': {'X-Some-Header': 'yes'}},
                }
            kept = {key: metadata[key] for key in ('filename', 'owner', 'protected', 'stop_after') if key in metadata}
            return {
                'ChangeFileInfo': {
                    'ID': f'prefix-{uuid.uuid4().hex}',
                    'MetaData': {**kept, 'creation_time': time.ctime()},
                },
                'HTTPResponse': {'Header': {'X-Upload-Checked': 'yes'}},
            }

        if hook_type == 'post-receive':
            stop_after = metadata.get('stop_after')
            if stop_after is not None and upload['Offset'] >= int(stop_after):
                print(f'stopping upload {upload["ID"]} at {upload["Offset"]} bytes', flush=True)
                return {'StopUpload': True, 'HTTPResponse': {'Body': 'stopped by the hook server', 'Header': {'X-Stopped': 'yes'}}}
            return {}

        if hook_type == 'pre-terminate':
            if 'protected' in metadata:
                return {'RejectTermination': True, 'HTTPResponse': {'StatusCode': 409, 'Body': 'this upload is protected'}}
            return {}

        if hook_type == 'post-finish':
            print(f'upload {upload["ID"]} ({upload["Size"]} bytes) is finished: {upload["Storage"]}', flush=True)

        return {}

    def log_message(self, format, *args):
        # One line per hook on stderr, as http.server does, but quieter.
        sys.stderr.write(f'{self.address_string()} {format % args}\n')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=8000, help='0 picks a free port')
    parser.add_argument('--record', help='append every hook request to this file, one per line')
    options = parser.parse_args()
    HookHandler.record = options.record
    server = ThreadingHTTPServer((options.host, options.port), HookHandler)
    print(f'hook server listening on http://{options.host}:{server.server_address[1]}/', flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    main()
