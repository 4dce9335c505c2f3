# Sourced by scripts/test.sh and .ci/run: installs, once per machine, what
# the tests need outside Cargo, and exports where it is.
#   SCOPEGATE_TEST_PYTHON  python with PyJWT + cryptography (the peers' fixture generator),
#                          jsonschema, cfn-lint and opentelemetry-proto (the OTLP receiver)
#   PATH                   gains cargo-lambda (the Lambda Runtime API emulator)
#   KEYCLOAK_DIST          a Keycloak distribution (tar.gz) for tests/keycloak.rs
#   SCOPEGATE_TEST_RIE          the AWS Lambda Runtime Interface Emulator (from the aws-sam-cli wheel)
#   SCOPEGATE_TEST_LOCUST       Locust, for the TTL lab's calibration loop
#   deploy/cdk/node_modules  the CDK construct's npm packages (npm ci)
#   SCOPEGATE_TEST_MDBOOK  mdBook, for the operator's book (docs/)
#   SCOPEGATE_TEST_TOOLS   `require`: a test whose tool is missing fails (without it, it says so and passes)
# Everything goes under $SCOPEGATE_TEST_TOOLS_DIR (default ~/.cache/scopegate-tools).
set -euo pipefail
SCOPEGATE_TEST_TOOLS_DIR="${SCOPEGATE_TEST_TOOLS_DIR:-$HOME/.cache/scopegate-tools}"
mkdir -p "$SCOPEGATE_TEST_TOOLS_DIR"
_venv="$SCOPEGATE_TEST_TOOLS_DIR/venv"
_stamp="$_venv/.scopegate-deps-7"
if [ ! -f "$_stamp" ]; then
  echo "# installing test tools into $_venv" >&2
  python3 -m venv "$_venv"
  "$_venv/bin/pip" install -q --disable-pip-version-check \
    PyJWT==2.15.1 cryptography==50.0.2 cargo-lambda==1.9.2 jsonschema==4.25.1 \
    cfn-lint==1.58.0 aws-sam-translator==1.115.0 "grafana-foundation-sdk==1769699998!10.1.0" \
    opentelemetry-proto==1.45.2 >&2
  touch "$_stamp"
fi
export SCOPEGATE_TEST_PYTHON="$_venv/bin/python"
# The EMF JSON schema AWS published with the EMF specification, as shipped in
# aws-lambda-powertools 1.10.0 (later 1.x wheels dropped the file).
export SCOPEGATE_TEST_EMF_SCHEMA="$SCOPEGATE_TEST_TOOLS_DIR/emf-schema.json"
if [ ! -s "$SCOPEGATE_TEST_EMF_SCHEMA" ]; then
  _dl="$SCOPEGATE_TEST_TOOLS_DIR/powertools-wheel"
  rm -rf "$_dl" && mkdir -p "$_dl"
  "$_venv/bin/pip" download -q --disable-pip-version-check --no-deps \
    aws-lambda-powertools==1.10.0 -d "$_dl" >&2
  "$_venv/bin/python" -c 'import sys, zipfile, glob
w = glob.glob(sys.argv[1] + "/*.whl")[0]
open(sys.argv[2], "wb").write(zipfile.ZipFile(w).read("aws_lambda_powertools/metrics/schema.json"))' "$_dl" "$SCOPEGATE_TEST_EMF_SCHEMA"
fi
export PATH="$_venv/bin:$PATH"
# The official AWS Lambda Runtime Interface Emulator, as the aws-sam-cli
# wheel ships it (samcli/local/rapid/aws-lambda-rie-<arch>): the end-to-end
# harness of tests/runtime_emulator.rs and scripts/bench-runtime.sh.
SAM_CLI_VERSION=1.170.0
_rie_arch="$(uname -m | sed 's/aarch64/arm64/')"
export SCOPEGATE_TEST_RIE="$SCOPEGATE_TEST_TOOLS_DIR/rie-$SAM_CLI_VERSION/aws-lambda-rie-$_rie_arch"
if [ ! -x "$SCOPEGATE_TEST_RIE" ]; then
  echo "# extracting aws-lambda-rie from aws-sam-cli $SAM_CLI_VERSION" >&2
  _dl="$SCOPEGATE_TEST_TOOLS_DIR/sam-wheel"
  rm -rf "$_dl" && mkdir -p "$_dl" "$(dirname "$SCOPEGATE_TEST_RIE")"
  "$_venv/bin/pip" download -q --disable-pip-version-check --no-deps \
    "aws-sam-cli==$SAM_CLI_VERSION" -d "$_dl" >&2
  "$_venv/bin/python" -c 'import sys, zipfile, glob
w = glob.glob(sys.argv[1] + "/*.whl")[0]
open(sys.argv[2], "wb").write(zipfile.ZipFile(w).read("samcli/local/rapid/" + sys.argv[2].rsplit("/", 1)[1]))' "$_dl" "$SCOPEGATE_TEST_RIE"
  chmod +x "$SCOPEGATE_TEST_RIE"
  rm -rf "$_dl"
fi
# promtool (Debian's prometheus package) checks the Prometheus exposition.
if ! command -v promtool >/dev/null 2>&1; then
  echo "# installing promtool (Debian package prometheus)" >&2
  _sudo=""; [ "$(id -u)" = 0 ] || _sudo="sudo"
  $_sudo apt-get install -y -q --no-install-recommends prometheus >/dev/null 2>&1 \
    || { $_sudo apt-get update -q >/dev/null 2>&1 && $_sudo apt-get install -y -q --no-install-recommends prometheus >/dev/null; }
fi
# moto_server (S3 for the s3:// document test) pins an old cfn-lint, so it
# lives in a venv of its own.
export SCOPEGATE_TEST_MOTO_SERVER="$SCOPEGATE_TEST_TOOLS_DIR/moto-venv/bin/moto_server"
if [ ! -x "$SCOPEGATE_TEST_MOTO_SERVER" ]; then
  echo "# installing moto_server into $SCOPEGATE_TEST_TOOLS_DIR/moto-venv" >&2
  python3 -m venv "$SCOPEGATE_TEST_TOOLS_DIR/moto-venv"
  "$SCOPEGATE_TEST_TOOLS_DIR/moto-venv/bin/pip" install -q --disable-pip-version-check "moto[server]==5.1.21" >&2
fi
# Locust (the TTL lab's distributed load test: loadtest/tests/calibration_loop.rs)
# in a venv of its own (gevent pins).
export SCOPEGATE_TEST_LOCUST="$SCOPEGATE_TEST_TOOLS_DIR/locust-venv/bin/locust"
if [ ! -x "$SCOPEGATE_TEST_LOCUST" ]; then
  echo "# installing locust into $SCOPEGATE_TEST_TOOLS_DIR/locust-venv" >&2
  python3 -m venv "$SCOPEGATE_TEST_TOOLS_DIR/locust-venv"
  "$SCOPEGATE_TEST_TOOLS_DIR/locust-venv/bin/pip" install -q --disable-pip-version-check "locust==2.43.1" >&2
fi
# A real OpenID Connect provider for the key-source tests (npm oidc-provider).
export OIDC_PROVIDER_PATH="$SCOPEGATE_TEST_TOOLS_DIR/idp/node_modules/oidc-provider/lib/index.js"
if [ ! -f "$OIDC_PROVIDER_PATH" ]; then
  echo "# installing oidc-provider into $SCOPEGATE_TEST_TOOLS_DIR/idp" >&2
  mkdir -p "$SCOPEGATE_TEST_TOOLS_DIR/idp"
  npm install --prefix "$SCOPEGATE_TEST_TOOLS_DIR/idp" --no-audit --no-fund --loglevel=error oidc-provider@9.13.3 >&2
fi
# A real Keycloak for tests/keycloak.rs: the distribution from Maven Central
# (unpacked fresh by each test run, so its dev database starts empty).
KEYCLOAK_VERSION=26.7.3
export KEYCLOAK_DIST="$SCOPEGATE_TEST_TOOLS_DIR/keycloak/keycloak-quarkus-dist-$KEYCLOAK_VERSION.tar.gz"
if [ ! -s "$KEYCLOAK_DIST" ]; then
  echo "# downloading Keycloak $KEYCLOAK_VERSION (Maven Central)" >&2
  mkdir -p "$SCOPEGATE_TEST_TOOLS_DIR/keycloak"
  mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
    -Dartifact="org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:tar.gz" \
    -DoutputDirectory="$SCOPEGATE_TEST_TOOLS_DIR/keycloak" >&2
fi
# The CDK construct's npm packages (aws-cdk-lib, constructs, TypeScript), into
# the clone's deploy/cdk/node_modules (gitignored), for tests/cdk.rs.
if [ ! -d deploy/cdk/node_modules/aws-cdk-lib ]; then
  echo "# installing deploy/cdk's npm packages" >&2
  npm ci --prefix deploy/cdk --no-audit --no-fund --loglevel=error >&2
fi
# mdBook, to build the operator's book (tests/book.rs builds it, warnings as errors).
MDBOOK_VERSION=0.5.4
export SCOPEGATE_TEST_MDBOOK="$SCOPEGATE_TEST_TOOLS_DIR/cargo/bin/mdbook"
if [ ! -x "$SCOPEGATE_TEST_MDBOOK" ] || ! "$SCOPEGATE_TEST_MDBOOK" --version | grep -q "$MDBOOK_VERSION"; then
  echo "# installing mdbook $MDBOOK_VERSION into $SCOPEGATE_TEST_TOOLS_DIR/cargo" >&2
  cargo install mdbook --version "$MDBOOK_VERSION" --locked --no-default-features --quiet \
    --root "$SCOPEGATE_TEST_TOOLS_DIR/cargo"
fi
# Everything above is installed: from here a test that cannot find a tool
# fails instead of saying so and passing (tests/support/tools.rs).
export SCOPEGATE_TEST_TOOLS=require
