//! .NET deps.json and NuGet packages.lock.json.

use super::{expect, expect_malformed};

/// Expectations: `[k.split('/') for k in sorted(d['libraries']) if
/// d['libraries'][k]['type'] == 'package']` with Python's `json`.
#[test]
fn deps_json() {
    let Some((pkgs, _)) = expect(
        "dotnet-deps-json/trivy/without-runtime.deps.json",
        "/app/hello2.deps.json",
        &[
            ("JsonDiffPatch", "2.0.61"),
            ("Libuv", "1.9.1"),
            ("Microsoft.NETCore.App", "1.1.2"),
            ("Microsoft.NETCore.Platforms", "1.1.0"),
            ("NETStandard.Library", "1.6.0"),
            ("System.Collections.Immutable", "1.3.0"),
            ("System.Net.Http", "4.1.0"),
        ],
    ) else {
        return;
    };
    assert_eq!(pkgs[0].purl, "pkg:nuget/JsonDiffPatch@2.0.61");
    // Runtime packs and projects are not packages.
    expect(
        "dotnet-deps-json/trivy/self-contained.deps.json",
        "/app/app.deps.json",
        &[("Newtonsoft.Json", "13.0.1")],
    );
    expect(
        "dotnet-deps-json/osv-scalibr/valid",
        "/app/TestLibrary.deps.json",
        &[
            ("AWSSDK.Core", "3.7.10.6"),
            ("Microsoft.Extensions.DependencyInjection", "6.0.0"),
        ],
    );
    let Some((_, warnings)) = expect(
        "dotnet-deps-json/osv-scalibr/nopackagename",
        "/app/x.deps.json",
        &[("AWSSDK.Core", "3.7.10.6")],
    ) else {
        return;
    };
    assert_eq!(
        warnings,
        [
            "/app/x.deps.json: libraries[\"Microsoft.Extensions.DependencyInjection\"] is not `Name/Version`; skipped"
        ]
    );
    expect(
        "dotnet-deps-json/osv-scalibr/empty",
        "/app/x.deps.json",
        &[],
    );
    expect(
        "dotnet-deps-json/trivy/no-libraries.deps.json",
        "/app/x.deps.json",
        &[],
    );
    expect_malformed(
        "dotnet-deps-json/osv-scalibr/invalid",
        "/app/x.deps.json",
        Some(1),
    );
    expect_malformed(
        "dotnet-deps-json/trivy/invalid.deps.json",
        "/app/x.deps.json",
        Some(12),
    );
}

/// Expectations: every `resolved` of every framework in key order, `Project` entries
/// left out, each name and version once (Python's `json`).
#[test]
fn packages_lock_json() {
    expect(
        "nuget-packages-lock-json/trivy/packages_lock_subdependencies.json",
        "/src/packages.lock.json",
        &[
            ("Microsoft.Extensions.ApiDescription.Server", "3.0.0"),
            ("Microsoft.OpenApi", "1.1.4"),
            ("Newtonsoft.Json", "12.0.3"),
            ("NuGet.Frameworks", "5.7.0"),
            ("Swashbuckle.AspNetCore", "5.5.1"),
            ("Swashbuckle.AspNetCore.Swagger", "5.5.1"),
            ("Swashbuckle.AspNetCore.SwaggerGen", "5.5.1"),
            ("Swashbuckle.AspNetCore.SwaggerUI", "5.5.1"),
        ],
    );
    expect(
        "nuget-packages-lock-json/trivy/packages_lock_multi.json",
        "/src/packages.lock.json",
        &[
            ("AWSSDK.Core", "3.5.1.30"),
            ("Microsoft.NETFramework.ReferenceAssemblies", "1.0.0"),
            ("Microsoft.NETFramework.ReferenceAssemblies.net20", "1.0.0"),
            ("Newtonsoft.Json", "12.0.3"),
            ("Microsoft.NETFramework.ReferenceAssemblies.net40", "1.0.0"),
            ("Microsoft.CSharp", "4.3.0"),
            ("Microsoft.NETCore.Platforms", "1.1.0"),
            ("Microsoft.NETCore.Targets", "1.1.0"),
            ("NETStandard.Library", "1.6.1"),
            ("System.Collections", "4.3.0"),
            ("System.ComponentModel", "4.3.0"),
            ("System.ComponentModel.Primitives", "4.3.0"),
            ("System.ComponentModel.TypeConverter", "4.3.0"),
            ("System.Diagnostics.Debug", "4.3.0"),
            ("System.Diagnostics.Tools", "4.3.0"),
            ("System.Dynamic.Runtime", "4.3.0"),
            ("System.Globalization", "4.3.0"),
            ("System.IO", "4.3.0"),
            ("System.Linq", "4.3.0"),
            ("System.Linq.Expressions", "4.3.0"),
            ("System.Net.Primitives", "4.3.0"),
            ("System.ObjectModel", "4.3.0"),
            ("System.Reflection", "4.3.0"),
            ("System.Reflection.Extensions", "4.3.0"),
            ("System.Reflection.Primitives", "4.3.0"),
            ("System.Resources.ResourceManager", "4.3.0"),
            ("System.Runtime", "4.3.0"),
            ("System.Runtime.Extensions", "4.3.0"),
            ("System.Runtime.Serialization.Primitives", "4.3.0"),
            ("System.Text.Encoding", "4.3.0"),
            ("System.Text.Encoding.Extensions", "4.3.0"),
            ("System.Text.RegularExpressions", "4.3.0"),
            ("System.Threading", "4.3.0"),
            ("System.Threading.Tasks", "4.3.0"),
            ("System.Xml.ReaderWriter", "4.3.0"),
            ("System.Xml.XDocument", "4.3.0"),
            ("Microsoft.Bcl.AsyncInterfaces", "1.1.0"),
            ("NETStandard.Library", "2.0.3"),
            ("System.Runtime.CompilerServices.Unsafe", "4.5.2"),
            ("System.Threading.Tasks.Extensions", "4.5.2"),
        ],
    );
    expect_malformed(
        "dotnet-deps-json/osv-scalibr/empty",
        "/src/packages.lock.json",
        None,
    );
}

/// packages.config expectations were read from the files.
#[test]
fn packages_config() {
    let Some((pkgs, _)) = expect(
        "nuget-packages-config/osv-scalibr/valid",
        "/src/packages.config",
        &[
            (
                "Microsoft.CodeDom.Providers.DotNetCompilerPlatform",
                "1.0.0",
            ),
            ("Microsoft.Net.Compilers", "1.0.0"),
        ],
    ) else {
        return;
    };
    assert_eq!(pkgs[1].purl, "pkg:nuget/Microsoft.Net.Compilers@1.0.0");
    for rel in ["nopackage", "noversion"] {
        let Some((_, warnings)) = expect(
            &format!("nuget-packages-config/osv-scalibr/{rel}"),
            "/src/packages.config",
            &[(
                "Microsoft.CodeDom.Providers.DotNetCompilerPlatform",
                "1.0.0",
            )],
        ) else {
            return;
        };
        assert_eq!(
            warnings,
            ["/src/packages.config:4: <package> without an id or version; skipped"]
        );
    }
    expect_malformed(
        "nuget-packages-config/osv-scalibr/invalid",
        "/src/packages.config",
        Some(1),
    );
}
