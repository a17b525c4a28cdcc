//! SLSA provenance v1 predicates, built from the CI environment (GitHub Actions, GitLab CI) or
//! from values given by hand, and the facts a policy checks read back out of one.
//!
//! Environment variables can be set by earlier steps of the same job; provenance built from them
//! is SLSA build level 1 evidence. The values a policy reads come from the signed statement.

use serde_json::{Value, json};

/// GitHub's buildType (actions/attest-build-provenance).
pub const GITHUB_BUILD_TYPE: &str = "https://actions.github.io/buildtypes/workflow/v1";
/// The 2024 community buildType (slsa-github-generator); read, not written.
pub const GITHUB_BUILD_TYPE_2024: &str =
    "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1";
/// Our buildType for GitLab CI pipelines: the same shape as GitHub's, from `CI_*` variables.
pub const GITLAB_BUILD_TYPE: &str =
    "https://github.com/supply-chain/supply/buildtypes/gitlab-ci/v1";
/// Our buildType for provenance described by hand (`--builder-id` and friends).
pub const MANUAL_BUILD_TYPE: &str = "https://github.com/supply-chain/supply/buildtypes/manual/v1";

/// Provenance could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProvenanceError {
    /// Not in a CI system we know, and no builder given by hand.
    #[error("not running in GitHub Actions or GitLab CI, and no builder was described by hand")]
    NoCi,
    /// A variable the CI system always sets is missing.
    #[error("{ci} variable {variable} is not set")]
    Missing {
        /// Which CI.
        ci: &'static str,
        /// The variable.
        variable: &'static str,
    },
}

impl crate::error::Classify for ProvenanceError {
    fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::InvalidInput
    }
}

/// Build facts given by hand, outside CI (or to override).
#[derive(Clone, Debug, Default)]
pub struct ManualBuild {
    /// `runDetails.builder.id`.
    pub builder_id: Option<String>,
    /// Source repository URI.
    pub source_uri: Option<String>,
    /// Source ref (`refs/heads/main`).
    pub source_ref: Option<String>,
    /// Source commit (hex).
    pub source_commit: Option<String>,
}

/// The predicate for this environment: GitHub Actions, else GitLab CI, else `manual`.
pub fn predicate_from_env(
    env: &dyn Fn(&str) -> Option<String>,
    manual: &ManualBuild,
) -> Result<Value, ProvenanceError> {
    if manual.builder_id.is_some() {
        return Ok(manual_predicate(manual));
    }
    if env("GITHUB_ACTIONS").as_deref() == Some("true") {
        return github(env);
    }
    if env("GITLAB_CI").as_deref() == Some("true") {
        return gitlab(env);
    }
    Err(ProvenanceError::NoCi)
}

fn github(env: &dyn Fn(&str) -> Option<String>) -> Result<Value, ProvenanceError> {
    let get = |variable| {
        env(variable).ok_or(ProvenanceError::Missing {
            ci: "GitHub Actions",
            variable,
        })
    };
    let server = env("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".to_owned());
    let repository = get("GITHUB_REPOSITORY")?;
    let git_ref = get("GITHUB_REF")?;
    let workflow_ref = get("GITHUB_WORKFLOW_REF")?;
    let path = workflow_ref
        .strip_prefix(&format!("{repository}/"))
        .unwrap_or(&workflow_ref)
        .split('@')
        .next()
        .unwrap_or_default()
        .to_owned();
    Ok(json!({
        "buildDefinition": {
            "buildType": GITHUB_BUILD_TYPE,
            "externalParameters": {"workflow": {"ref": git_ref, "repository": format!("{server}/{repository}"), "path": path}},
            "internalParameters": {"github": {
                "event_name": env("GITHUB_EVENT_NAME").unwrap_or_default(),
                "repository_id": env("GITHUB_REPOSITORY_ID").unwrap_or_default(),
                "repository_owner_id": env("GITHUB_REPOSITORY_OWNER_ID").unwrap_or_default(),
                "runner_environment": env("RUNNER_ENVIRONMENT").unwrap_or_default(),
            }},
            "resolvedDependencies": [{"uri": format!("git+{server}/{repository}@{git_ref}"), "digest": {"gitCommit": get("GITHUB_SHA")?}}],
        },
        "runDetails": {
            "builder": {"id": format!("{server}/{workflow_ref}")},
            "metadata": {"invocationId": format!("{server}/{repository}/actions/runs/{}/attempts/{}", get("GITHUB_RUN_ID")?, env("GITHUB_RUN_ATTEMPT").unwrap_or_else(|| "1".into()))},
        },
    }))
}

fn gitlab(env: &dyn Fn(&str) -> Option<String>) -> Result<Value, ProvenanceError> {
    let get = |variable| {
        env(variable).ok_or(ProvenanceError::Missing {
            ci: "GitLab CI",
            variable,
        })
    };
    let server = get("CI_SERVER_URL")?;
    let project_path = get("CI_PROJECT_PATH")?;
    let project_url = env("CI_PROJECT_URL").unwrap_or_else(|| format!("{server}/{project_path}"));
    let git_ref = get("CI_COMMIT_REF_NAME")?;
    let config = env("CI_CONFIG_PATH").unwrap_or_else(|| ".gitlab-ci.yml".into());
    Ok(json!({
        "buildDefinition": {
            "buildType": GITLAB_BUILD_TYPE,
            "externalParameters": {"workflow": {"ref": git_ref, "repository": project_url, "path": config}},
            "internalParameters": {"gitlab": {
                "pipeline_source": env("CI_PIPELINE_SOURCE").unwrap_or_default(),
                "project_id": env("CI_PROJECT_ID").unwrap_or_default(),
                "namespace_id": env("CI_PROJECT_NAMESPACE_ID").unwrap_or_default(),
                "runner_id": env("CI_RUNNER_ID").unwrap_or_default(),
            }},
            "resolvedDependencies": [{"uri": format!("git+{project_url}@{git_ref}"), "digest": {"gitCommit": get("CI_COMMIT_SHA")?}}],
        },
        "runDetails": {
            "builder": {"id": format!("{project_url}/{config}@{git_ref}")},
            "metadata": {"invocationId": env("CI_JOB_URL").unwrap_or_else(|| format!("{project_url}/-/jobs/{}", env("CI_JOB_ID").unwrap_or_default()))},
        },
    }))
}

fn manual_predicate(manual: &ManualBuild) -> Value {
    let mut dependencies = Vec::new();
    if let Some(uri) = &manual.source_uri {
        let mut dependency = json!({"uri": match &manual.source_ref { Some(r) => format!("git+{uri}@{r}"), None => format!("git+{uri}") }});
        if let Some(commit) = &manual.source_commit {
            dependency["digest"] = json!({"gitCommit": commit});
        }
        dependencies.push(dependency);
    }
    json!({
        "buildDefinition": {
            "buildType": MANUAL_BUILD_TYPE,
            "externalParameters": {"workflow": {"ref": manual.source_ref, "repository": manual.source_uri}},
            "resolvedDependencies": dependencies,
        },
        "runDetails": {"builder": {"id": manual.builder_id}},
    })
}

/// What a policy checks, read from a SLSA v1 (or v0.2) predicate.
#[derive(Clone, Debug, Default, Eq, PartialEq, serde::Serialize)]
pub struct BuildFacts {
    /// Builder id.
    pub builder_id: Option<String>,
    /// buildType.
    pub build_type: Option<String>,
    /// Source repository URI (no `git+`, no `@ref`).
    pub source_repository: Option<String>,
    /// Source ref.
    pub source_ref: Option<String>,
}

/// Reads the facts out of a predicate (v1 layout, with v0.2's `builder.id`/`invocation` too).
pub fn build_facts(predicate: &Value) -> BuildFacts {
    let text = |pointer: &str| {
        predicate
            .pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let dependency = text("/buildDefinition/resolvedDependencies/0/uri")
        .or_else(|| text("/invocation/configSource/uri"))
        .map(|uri| uri.trim_start_matches("git+").to_owned());
    let (dependency_repository, dependency_ref) =
        match dependency.as_deref().and_then(|d| d.rsplit_once('@')) {
            Some((repository, git_ref)) => (Some(repository.to_owned()), Some(git_ref.to_owned())),
            None => (dependency.clone(), None),
        };
    BuildFacts {
        builder_id: text("/runDetails/builder/id").or_else(|| text("/builder/id")),
        build_type: text("/buildDefinition/buildType").or_else(|| text("/buildType")),
        source_repository: text("/buildDefinition/externalParameters/workflow/repository")
            .or(dependency_repository),
        source_ref: text("/buildDefinition/externalParameters/workflow/ref").or(dependency_ref),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn github_env(name: &str) -> Option<String> {
        let value = match name {
            "GITHUB_ACTIONS" => "true",
            "GITHUB_SERVER_URL" => "https://github.com",
            "GITHUB_REPOSITORY" => "octo/app",
            "GITHUB_REF" => "refs/heads/main",
            "GITHUB_WORKFLOW_REF" => "octo/app/.github/workflows/release.yml@refs/heads/main",
            "GITHUB_SHA" => "0123456789abcdef0123456789abcdef01234567",
            "GITHUB_RUN_ID" => "42",
            "GITHUB_RUN_ATTEMPT" => "2",
            "GITHUB_EVENT_NAME" => "push",
            "RUNNER_ENVIRONMENT" => "github-hosted",
            _ => return None,
        };
        Some(value.to_owned())
    }

    #[test]
    fn github_provenance_has_githubs_shape() {
        let predicate = predicate_from_env(&github_env, &ManualBuild::default()).unwrap();
        assert_eq!(
            predicate["buildDefinition"]["externalParameters"]["workflow"]["path"],
            ".github/workflows/release.yml"
        );
        assert_eq!(
            predicate["runDetails"]["builder"]["id"],
            "https://github.com/octo/app/.github/workflows/release.yml@refs/heads/main"
        );
        assert_eq!(
            predicate["runDetails"]["metadata"]["invocationId"],
            "https://github.com/octo/app/actions/runs/42/attempts/2"
        );
        let facts = build_facts(&predicate);
        assert_eq!(
            facts.source_repository.as_deref(),
            Some("https://github.com/octo/app")
        );
        assert_eq!(facts.source_ref.as_deref(), Some("refs/heads/main"));
        assert_eq!(facts.build_type.as_deref(), Some(GITHUB_BUILD_TYPE));
    }

    #[test]
    fn outside_ci_needs_a_builder() {
        assert!(matches!(
            predicate_from_env(&|_| None, &ManualBuild::default()),
            Err(ProvenanceError::NoCi)
        ));
        let manual = ManualBuild {
            builder_id: Some("https://ci.example/b".into()),
            source_uri: Some("https://git.example/r".into()),
            ..ManualBuild::default()
        };
        let facts = build_facts(&predicate_from_env(&|_| None, &manual).unwrap());
        assert_eq!(facts.builder_id.as_deref(), Some("https://ci.example/b"));
        assert_eq!(
            facts.source_repository.as_deref(),
            Some("https://git.example/r")
        );
    }

    #[test]
    fn gitlab_provenance() {
        let env = |name: &str| -> Option<String> {
            let value = match name {
                "GITLAB_CI" => "true",
                "CI_SERVER_URL" => "https://gitlab.com",
                "CI_PROJECT_PATH" => "group/app",
                "CI_COMMIT_REF_NAME" => "main",
                "CI_COMMIT_SHA" => "abc",
                "CI_JOB_URL" => "https://gitlab.com/group/app/-/jobs/7",
                _ => return None,
            };
            Some(value.to_owned())
        };
        let predicate = predicate_from_env(&env, &ManualBuild::default()).unwrap();
        assert_eq!(predicate["buildDefinition"]["buildType"], GITLAB_BUILD_TYPE);
        assert_eq!(
            build_facts(&predicate).source_repository.as_deref(),
            Some("https://gitlab.com/group/app")
        );
        assert!(matches!(
            predicate_from_env(
                &|n| (n == "GITLAB_CI").then(|| "true".into()),
                &ManualBuild::default()
            ),
            Err(ProvenanceError::Missing { .. })
        ));
    }
}
