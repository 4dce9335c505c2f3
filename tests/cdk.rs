//! The CDK construct (`deploy/cdk`, issue 24 §3): its example stack is
//! synthesized offline, the output passes cfn-lint, and it keeps the SAM
//! template's cache-key invariants and settings: every authorizer it
//! deploys is one of the SAM template's forms (type, identity sources,
//! validation, IAM policies rather than simple responses), the function
//! answers complete policies, and it has the same alarms.

mod support;

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::tools::{self, NODE, PYTHON, Tool};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `(type, identity sources, validation, payload format, simple responses)`:
/// what decides whether a cached answer is right on another route, and the
/// event the function is given.
type Form = (String, Vec<String>, Option<String>, Option<String>, bool);

fn run(command: &mut Command) -> String {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{command:?}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The SAM template's authorizer forms, as aws-sam-translator expands them.
fn sam_forms() -> (BTreeSet<Form>, Value) {
    let out = run(Command::new(support::tool("SCOPEGATE_TEST_PYTHON"))
        .arg(root().join("tests/support/template_authorizers.py"))
        .arg(root().join("deploy/template.yaml")));
    let v: Value = serde_json::from_str(&out).unwrap();
    let forms = v["authorizers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let sources = a["identity_sources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect();
            (
                a["type"].as_str().unwrap().to_ascii_uppercase(),
                sources,
                a["validation"].as_str().map(str::to_string),
                a["payload_format"].as_str().map(str::to_string),
                a["simple_responses"].as_bool().unwrap(),
            )
        })
        .collect();
    (forms, v)
}

fn cdk_forms(template: &Value) -> BTreeSet<Form> {
    let mut forms = BTreeSet::new();
    for r in template["Resources"].as_object().unwrap().values() {
        let p = &r["Properties"];
        match r["Type"].as_str() {
            Some("AWS::ApiGateway::Authorizer") => {
                let sources = p["IdentitySource"]
                    .as_str()
                    .unwrap()
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .collect();
                forms.insert((
                    p["Type"].as_str().unwrap().to_string(),
                    sources,
                    p["IdentityValidationExpression"]
                        .as_str()
                        .map(str::to_string),
                    None,
                    false,
                ));
            }
            Some("AWS::ApiGatewayV2::Authorizer") => {
                let sources = p["IdentitySource"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap().to_string())
                    .collect();
                forms.insert((
                    p["AuthorizerType"].as_str().unwrap().to_string(),
                    sources,
                    None,
                    p["AuthorizerPayloadFormatVersion"]
                        .as_str()
                        .map(str::to_string),
                    p["EnableSimpleResponses"].as_bool().unwrap_or(false),
                ));
            }
            _ => {}
        }
    }
    forms
}

#[test]
fn the_construct_synthesizes_lints_and_keeps_the_sam_templates_invariants() {
    let cdk = root().join("deploy/cdk");
    let modules = cdk.join("node_modules/aws-cdk-lib");
    let bootstrap_path = support::emulator::bootstrap_path();
    let bootstrap_dir = bootstrap_path.parent().unwrap().to_path_buf();
    if !tools::have(&[
        NODE,
        PYTHON,
        Tool::File(modules, "the CDK's npm packages (scripts/test-deps.sh)"),
        support::emulator::bootstrap_tool(),
    ]) {
        return;
    }
    run(Command::new("node")
        .arg(cdk.join("node_modules/typescript/bin/tsc"))
        .args(["-p"])
        .arg(&cdk));
    let out_dir = std::env::temp_dir().join(format!("scopegate-cdk-{}", std::process::id()));
    run(Command::new("node")
        .arg(cdk.join("dist/bin/example.js"))
        .env("CDK_OUTDIR", &out_dir)
        .env("SCOPEGATE_BOOTSTRAP_DIR", &bootstrap_dir));
    let template_path = out_dir.join("ScopegateExample.template.json");
    let template: Value =
        serde_json::from_str(&std::fs::read_to_string(&template_path).unwrap()).unwrap();

    // cfn-lint, as on the SAM template. W3005: the CDK writes a DependsOn
    // on the role beside the GetAtt that already orders it.
    let cfn_lint = Path::new(&support::tool("SCOPEGATE_TEST_PYTHON")).with_file_name("cfn-lint");
    let cedar_path = out_dir.join("ScopegateCedarExample.template.json");
    run(Command::new(cfn_lint)
        .args(["--ignore-checks", "W3005", "--"])
        .arg(&template_path)
        .arg(&cedar_path));
    let cedar: Value =
        serde_json::from_str(&std::fs::read_to_string(&cedar_path).unwrap()).unwrap();
    a_cedar_store_is_read_from_its_two_objects_for_its_own_api(&cedar);

    // Every authorizer the construct deploys is a form the SAM template
    // deploys, payload format included.
    let (sam, sam_json) = sam_forms();
    let cdk_forms = cdk_forms(&template);
    assert_eq!(cdk_forms.len(), 3, "{cdk_forms:?}");
    for form in &cdk_forms {
        assert!(
            !form.4,
            "a simple response is decided for one route: {form:?}"
        );
        assert!(
            sam.contains(form),
            "{form:?} is not among the SAM forms {sam:?}"
        );
    }

    // The same settings where they decide answers, and the same alarms.
    let env = template["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::Lambda::Function")
        .find_map(|r| {
            r["Properties"]["Environment"]["Variables"]
                .as_object()
                .cloned()
        })
        .unwrap();
    assert_eq!(
        env["SCOPEGATE_SIMPLE_RESPONSE"],
        sam_json["simple_response"]
    );
    let cdk_alarms: BTreeSet<String> = template["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::CloudWatch::Alarm")
        .map(|r| {
            let name = r["Properties"]["AlarmName"].as_str().unwrap();
            name.rsplit('-').next().unwrap().to_string()
        })
        .collect();
    let sam_template = std::fs::read_to_string(root().join("deploy/template.yaml")).unwrap();
    let lines: Vec<&str> = sam_template.lines().collect();
    let sam_alarms: BTreeSet<String> = lines
        .windows(2)
        .filter(|w| w[1].trim() == "Type: AWS::CloudWatch::Alarm")
        .map(|w| w[0].trim().trim_end_matches(':').to_string())
        .collect();
    assert_eq!(cdk_alarms, sam_alarms);
    let _ = std::fs::remove_dir_all(&out_dir);
}

/// The Cedar example: the function is given the store, its schema and the
/// API it names (the stack's own REST API and stage), reads those two
/// objects and nothing else, and has no audience (Cognito access tokens).
fn a_cedar_store_is_read_from_its_two_objects_for_its_own_api(template: &Value) {
    let resources = template["Resources"].as_object().unwrap();
    let of_type = |t: &'static str| {
        resources
            .iter()
            .filter(move |(_, r)| r["Type"] == t)
            .map(|(id, r)| (id.clone(), r["Properties"].clone()))
            .collect::<Vec<_>>()
    };
    let env = of_type("AWS::Lambda::Function")
        .into_iter()
        .find_map(|(_, p)| {
            p["Environment"]["Variables"]["SCOPEGATE_CEDAR_SCHEMA"]
                .is_string()
                .then(|| p["Environment"]["Variables"].clone())
        })
        .expect("a function with SCOPEGATE_CEDAR_SCHEMA");
    assert_eq!(
        env["SCOPEGATE_PERMISSIONS"],
        "s3://my-config-bucket/scopegate/store/policies.cedar"
    );
    assert_eq!(
        env["SCOPEGATE_CEDAR_SCHEMA"],
        "s3://my-config-bucket/scopegate/store/schema.json"
    );
    assert!(env.get("SCOPEGATE_AUDIENCE").is_none(), "{env}");
    let (rest_api, _) = of_type("AWS::ApiGateway::RestApi").remove(0);
    let api = env["SCOPEGATE_CEDAR_API"]["Fn::Join"][1]
        .as_array()
        .unwrap();
    assert!(
        api.contains(&serde_json::json!({ "Ref": rest_api })),
        "{api:?}"
    );
    assert_eq!(api.last().unwrap(), "/prod");
    let statements: Vec<Value> = of_type("AWS::IAM::Policy")
        .into_iter()
        .flat_map(|(_, p)| p["PolicyDocument"]["Statement"].as_array().unwrap().clone())
        .collect();
    assert_eq!(statements.len(), 1, "{statements:?}");
    assert_eq!(statements[0]["Action"], "s3:GetObject");
    let objects: Vec<String> = statements[0]["Resource"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Fn::Join"][1][2].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        objects,
        [
            ":s3:::my-config-bucket/scopegate/store/policies.cedar",
            ":s3:::my-config-bucket/scopegate/store/schema.json"
        ]
    );
}
