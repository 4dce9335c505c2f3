#!/usr/bin/env python3
"""A real Keycloak on loopback for tests/keycloak.rs.

Unpacks the distribution (KEYCLOAK_DIST, a keycloak-quarkus-dist tar.gz that
scripts/test-deps.sh fetched from Maven Central) into a fresh directory,
starts `kc.sh start-dev` on 127.0.0.1:PORT with the realm in
tests/keycloak/orders-realm.json, adds the `orders.read` client scope through
the admin API, mints the tokens the test needs, and prints one JSON line:
{"issuer", "tokens": {name: access_token}, "ready_seconds"}. Keycloak keeps
running until stdin closes (the test's end), then it is stopped.
Any failure exits non-zero with Keycloak's log tail on stderr.
"""
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.parse
import urllib.request

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 18080
BASE = f"http://127.0.0.1:{PORT}"
REALM = f"{BASE}/realms/orders"
HERE = os.path.dirname(os.path.abspath(__file__))


def java_home():
    for d in ("/usr/lib/jvm/temurin-25-jdk-amd64", "/usr/lib/jvm/temurin-21-jdk-amd64",
              "/usr/lib/jvm/java-21-openjdk-amd64", "/usr/lib/jvm/java-17-openjdk-amd64"):
        if os.access(os.path.join(d, "bin", "java"), os.X_OK):
            return d
    sys.exit("keycloak.py: no JDK under /usr/lib/jvm")


def request(url, data=None, headers=None, method=None, auth=None):
    headers = dict(headers or {})
    if auth:
        import base64
        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    if isinstance(data, dict):
        data = urllib.parse.urlencode(data).encode()
    elif isinstance(data, str):
        data = data.encode()
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=30) as r:
        body = r.read()
        return json.loads(body) if body else None


def main():
    dist = os.environ.get("KEYCLOAK_DIST")
    if not dist or not os.path.exists(dist):
        sys.exit("keycloak.py: KEYCLOAK_DIST is not set or missing (run the tests through scripts/test.sh)")
    work = tempfile.mkdtemp(prefix="scopegate-keycloak-")
    with tarfile.open(dist) as t:
        t.extractall(work)
    home = os.path.join(work, next(d for d in os.listdir(work) if d.startswith("keycloak-")))
    os.makedirs(os.path.join(home, "data", "import"))
    shutil.copy(os.path.join(HERE, "..", "keycloak", "orders-realm.json"), os.path.join(home, "data", "import"))
    env = dict(os.environ, JAVA_HOME=java_home(), KC_BOOTSTRAP_ADMIN_USERNAME="admin",
               KC_BOOTSTRAP_ADMIN_PASSWORD="admin")
    log = open(os.path.join(work, "kc.log"), "w")
    started = time.time()
    kc = subprocess.Popen([os.path.join(home, "bin", "kc.sh"), "start-dev", "--http-host=127.0.0.1",
                           f"--http-port={PORT}", f"--hostname={BASE}", "--import-realm"],
                          env=env, stdout=log, stderr=subprocess.STDOUT)

    def fail(message):
        log.flush()
        with open(os.path.join(work, "kc.log")) as f:
            sys.stderr.write("".join(f.readlines()[-40:]))
        kc.kill()
        sys.exit(f"keycloak.py: {message}")

    try:
        while True:
            if kc.poll() is not None:
                fail(f"Keycloak exited with {kc.returncode}")
            try:
                request(f"{REALM}/.well-known/openid-configuration")
                break
            except Exception:
                if time.time() - started > 240:
                    fail("not ready after 240 s")
                time.sleep(0.5)
        ready = time.time() - started
        admin = request(f"{BASE}/realms/master/protocol/openid-connect/token",
                        {"grant_type": "password", "client_id": "admin-cli", "username": "admin",
                         "password": "admin"})["access_token"]
        h = {"Authorization": f"Bearer {admin}", "Content-Type": "application/json"}
        request(f"{BASE}/admin/realms/orders/client-scopes", json.dumps({
            "name": "orders.read", "protocol": "openid-connect",
            "attributes": {"include.in.token.scope": "true", "display.on.consent.screen": "false"}}), h)
        scopes = request(f"{BASE}/admin/realms/orders/client-scopes", headers=h)
        sid = next(s["id"] for s in scopes if s["name"] == "orders.read")
        for client in ("orders-api-client", "orders-noaud-client"):
            cid = request(f"{BASE}/admin/realms/orders/clients?clientId={client}", headers=h)[0]["id"]
            request(f"{BASE}/admin/realms/orders/clients/{cid}/optional-client-scopes/{sid}", b"", h, "PUT")
        token_url = f"{REALM}/protocol/openid-connect/token"
        tokens = {
            "cc_with_mapper": request(token_url, {"grant_type": "client_credentials", "scope": "orders.read"},
                                      auth=("orders-api-client", "orders-api-client-secret")),
            "cc_without_mapper": request(token_url, {"grant_type": "client_credentials", "scope": "orders.read"},
                                         auth=("orders-noaud-client", "orders-noaud-client-secret")),
            "cc_without_scope": request(token_url, {"grant_type": "client_credentials"},
                                        auth=("orders-api-client", "orders-api-client-secret")),
            "alice": request(token_url, {"grant_type": "password", "username": "alice",
                                         "password": "alice-password", "scope": "openid orders.read"},
                             auth=("orders-api-client", "orders-api-client-secret")),
        }
        named = {k: v["access_token"] for k, v in tokens.items()}
        # Alice's refresh and ID tokens: Keycloak's introspection says they are active too.
        named["alice_refresh"] = tokens["alice"]["refresh_token"]
        named["alice_id"] = tokens["alice"]["id_token"]
        print(json.dumps({"issuer": REALM, "ready_seconds": round(ready, 1), "tokens": named}),
              flush=True)
        sys.stdin.read()  # until the test ends
    except SystemExit:
        raise
    except Exception as e:  # an admin or token call failed: say which, with the log
        fail(f"{type(e).__name__}: {e}")
    finally:
        if kc.poll() is None:
            kc.terminate()
            try:
                kc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                kc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
