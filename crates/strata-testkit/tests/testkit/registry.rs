use strata_testkit::cmd::{command, output};
use strata_testkit::images;
use strata_testkit::registry::Registry;

#[test]
fn push_and_inspect_without_auth() {
    let Some(img) = images::apk() else { return };
    let Some(reg) = Registry::start() else { return };
    let reference = reg.push(&img, "strata-test/apk:3.18").unwrap();
    assert_eq!(
        reference,
        format!("127.0.0.1:{}/strata-test/apk:3.18", reg.port())
    );
    let out = output(&mut command(
        "skopeo",
        [
            "inspect",
            "--tls-verify=false",
            "--raw",
            &format!("docker://{reference}"),
        ],
    ))
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn auth_registry_rejects_anonymous_and_wrong_password() {
    let Some(img) = images::apk() else { return };
    let Some(reg) = Registry::start_with_auth("strata", "s3cret") else {
        return;
    };
    let reference = reg.push(&img, "private/apk:1").unwrap();
    let inspect = |creds: Option<&str>| {
        let mut c = command("skopeo", ["inspect", "--tls-verify=false", "--raw"]);
        if let Some(cr) = creds {
            c.arg("--creds").arg(cr);
        } else {
            c.arg("--no-creds");
        }
        c.arg(format!("docker://{reference}"));
        output(&mut c).unwrap().status.success()
    };
    assert!(inspect(Some("strata:s3cret")));
    assert!(!inspect(Some("strata:wrong")));
    assert!(!inspect(None));
}

#[test]
fn registry_process_is_gone_after_drop() {
    let Some(reg) = Registry::start() else { return };
    let host = reg.host();
    drop(reg);
    assert!(std::net::TcpStream::connect(&host).is_err());
}
