"""A burst of uploads and Event invocations against a host the driver kill -9s mid-way. Each
accepted request (201 / 202) is appended, flushed, to FNHOST_TEST_ACCEPTED as one JSON line;
refused or cut-off requests are not. Exits 0 however the burst ends."""

import json
import os
import threading
import uuid

import botocore.exceptions
import urllib3.exceptions

from common import client, create, guest, zip_of

accepted_path = os.environ["FNHOST_TEST_ACCEPTED"]
lock = threading.Lock()
package = zip_of({"hello.wasm": guest("hello")})


def accept(kind, value):
    with lock, open(accepted_path, "a") as f:
        f.write(json.dumps({"kind": kind, "value": value}) + "\n")
        f.flush()
        os.fsync(f.fileno())


def uploads():
    c = client(connect_timeout=2, read_timeout=20)
    for i in range(30):
        name = f"burst-{i}"
        try:
            create(c, name, package)
            accept("upload", name)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, urllib3.exceptions.HTTPError):
            pass


def events():
    c = client(connect_timeout=2, read_timeout=20)
    for _ in range(400):
        marker = "burst-" + uuid.uuid4().hex[:12]
        try:
            r = c.invoke(FunctionName="hello", InvocationType="Event", Payload=json.dumps({"name": marker}))
            if r["StatusCode"] == 202:
                accept("event", marker)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, urllib3.exceptions.HTTPError):
            pass


threads = [threading.Thread(target=uploads), threading.Thread(target=events), threading.Thread(target=events)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("burst over")
