//! Dependency graphs → one CycloneDX [`Bom`], deterministically.
//!
//! Identity: a package's `bom-ref` is its purl, or for local packages `<lockfile>#<id>`; so the
//! same package seen twice (nested npm copies, two lockfiles) becomes one component with the
//! union of its edges and the strongest scope, and refs never depend on counters or randomness.
//! Every array is sorted. The serial number is a UUID derived from the document's own bytes.
//!
//! Subject: one root is `metadata.component` itself. Several roots (workspace members no root
//! reaches, several lockfiles) hang from a synthetic root, `supply:root`, named by the caller's
//! [`Subject`], else, when all roots come from one lockfile, by the project at its workspace
//! root (the root whose local id is `.`: the parsers give that id to the package that sits in
//! the lockfile's own directory), else by the fallback name given to [`Builder::build`]. Never
//! by a folder name, which would make the SBOM depend on where the project was cloned.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::cyclonedx::{
    self, Bom, Component, Dependency, Document, HashValue, Lifecycle, Metadata, Property, Tools,
};
use super::discover::Subject;
use super::graph::{DepGraph, ExternalReference, Hash, ReferenceKind, Scope};
use super::render;
use super::time::Timestamp;

/// CycloneDX specification versions we emit.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub enum SpecVersion {
    /// CycloneDX 1.5.
    V1_5,
    /// CycloneDX 1.6 (the default).
    #[default]
    V1_6,
}

impl SpecVersion {
    /// `"1.5"` or `"1.6"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1_5 => "1.5",
            Self::V1_6 => "1.6",
        }
    }

    /// Parses `"1.5"` or `"1.6"`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "1.5" => Some(Self::V1_5),
            "1.6" => Some(Self::V1_6),
            _ => None,
        }
    }
}

/// How to build the document.
#[derive(Clone, Copy, Debug, Default)]
pub struct BuildOptions {
    /// Which CycloneDX version to write.
    pub spec_version: SpecVersion,
    /// Leave out components only needed for development (scope `excluded`).
    pub exclude_dev: bool,
    /// `metadata.timestamp`; `None` leaves it out.
    pub timestamp: Option<Timestamp>,
}

/// Collects dependency graphs and turns them into one BOM.
#[derive(Debug)]
pub struct Builder {
    options: BuildOptions,
    /// One per bom-ref, in the order first seen, sorted by ref once in [`Builder::build`]; refs
    /// are shared (`Arc`) between entries, edges and roots, because a large npm lockfile has
    /// tens of thousands of edges and a copy per edge was a tenth of the run. A `BTreeMap`
    /// here held each large entry in eleven-slot nodes (a megabyte of fresh memory for 5,000
    /// npm packages) and compared long purls on every edge.
    entries: Vec<(Arc<str>, Entry)>,
    /// Bom-ref → position in `entries` (foldhash, seeded per process, as in `npm`).
    slots: foldhash::HashMap<Arc<str>, usize>,
    roots: BTreeSet<Arc<str>>,
    /// Roots that are the package in their lockfile's own directory.
    projects: BTreeSet<Arc<str>>,
    /// The lockfiles that contributed roots.
    root_lockfiles: BTreeSet<String>,
    lockfiles: Vec<String>,
    subject: Subject,
}

/// The lists are sets, collected unsorted and sorted with duplicates dropped once in
/// [`Entry::settle`]: a `BTreeSet` allocates a node of eleven slots for its first element, and
/// four of them per component were megabytes of fresh memory on a large npm lockfile.
#[derive(Debug, Default)]
struct Entry {
    name: String,
    group: Option<String>,
    version: Option<String>,
    /// The bom-ref itself when that is the purl: one copy of each purl, not two.
    purl: Option<Arc<str>>,
    scope: Option<Scope>,
    license: Option<String>,
    hashes: Vec<Hash>,
    external_references: Vec<ExternalReference>,
    properties: Vec<(String, String)>,
    depends_on: Vec<Arc<str>>,
}

impl Entry {
    fn settle(&mut self) {
        fn sort_unique<T: Ord>(items: &mut Vec<T>) {
            items.sort_unstable();
            items.dedup();
        }
        sort_unique(&mut self.hashes);
        sort_unique(&mut self.external_references);
        sort_unique(&mut self.properties);
        sort_unique(&mut self.depends_on);
    }
}

/// The ref of the synthetic root that stands for the whole input when it has several roots.
const SYNTHETIC_ROOT: &str = "supply:root";

impl Builder {
    /// A builder with these options.
    pub fn new(options: BuildOptions) -> Self {
        Self {
            options,
            entries: Vec::new(),
            slots: foldhash::HashMap::default(),
            roots: BTreeSet::new(),
            projects: BTreeSet::new(),
            root_lockfiles: BTreeSet::new(),
            lockfiles: Vec::new(),
            subject: Subject::default(),
        }
    }

    /// Names the SBOM's subject (`metadata.component`), overriding what the lockfiles say.
    #[must_use]
    pub fn subject(mut self, subject: Subject) -> Self {
        self.subject = subject;
        self
    }

    /// Adds the graph of the lockfile at `lockfile` (a path relative to the input, used in
    /// the refs of local packages).
    #[must_use]
    pub fn add(mut self, lockfile: &str, graph: DepGraph) -> Self {
        self.lockfiles.push(lockfile.to_owned());
        let refs: Vec<Arc<str>> = graph
            .packages
            .iter()
            .map(|p| match (&p.purl, &p.local) {
                (Some(purl), _) => Arc::from(purl.as_str()),
                (None, local) => Arc::from(format!(
                    "{lockfile}#{}",
                    local.as_deref().unwrap_or(&p.name)
                )),
            })
            .collect();
        let is_root: BTreeSet<usize> = graph.roots.iter().copied().collect();
        if !graph.roots.is_empty() {
            self.root_lockfiles.insert(lockfile.to_owned());
        }
        for &root in &graph.roots {
            if let (Some(package), Some(reference)) = (graph.packages.get(root), refs.get(root))
                && package.local.as_deref() == Some(".")
            {
                self.projects.insert(reference.clone());
            }
        }
        self.entries.reserve(graph.packages.len());
        self.slots.reserve(graph.packages.len());
        let mut slot_of = Vec::with_capacity(graph.packages.len());
        for (i, (package, reference)) in graph.packages.into_iter().zip(&refs).enumerate() {
            let slot = *self.slots.entry(reference.clone()).or_insert_with(|| {
                self.entries.push((reference.clone(), Entry::default()));
                self.entries.len() - 1
            });
            slot_of.push(slot);
            let Some((_, entry)) = self.entries.get_mut(slot) else {
                continue;
            };
            entry.name = package.name;
            entry.group = package.group;
            entry.version = package.version;
            entry.purl = package.purl.is_some().then(|| reference.clone());
            entry.license = entry.license.take().or(package.license);
            if !is_root.contains(&i) {
                entry.scope = Some(entry.scope.map_or(package.scope, |s| s.min(package.scope)));
            }
            append(&mut entry.hashes, package.hashes);
            append(&mut entry.external_references, package.external_references);
            append(&mut entry.properties, package.properties);
        }
        // Indexes come from the parsers; one out of range is a parser bug, never a panic here.
        for (from, to) in graph.edges {
            if from != to
                && let (Some(&from), Some(to)) = (slot_of.get(from), refs.get(to))
                && let Some((_, entry)) = self.entries.get_mut(from)
            {
                entry.depends_on.push(to.clone());
            }
        }
        for root in graph.roots {
            let (Some(&slot), Some(reference)) = (slot_of.get(root), refs.get(root)) else {
                continue;
            };
            // A root is the project itself, never a dev or optional dependency of it.
            if let Some((_, entry)) = self.entries.get_mut(slot) {
                entry.scope = None;
            }
            self.roots.insert(reference.clone());
        }
        self
    }

    /// Builds the document; `fallback_name` names the synthetic root (when there are several
    /// roots) if neither the [`Subject`] nor the lockfiles do.
    pub fn build(mut self, fallback_name: &str) -> Bom {
        for (_, entry) in &mut self.entries {
            entry.settle();
        }
        if self.options.exclude_dev {
            let roots = &self.roots;
            self.entries
                .retain(|(r, e)| e.scope != Some(Scope::Excluded) || roots.contains(r));
            let kept: BTreeSet<Arc<str>> = self.entries.iter().map(|(r, _)| r.clone()).collect();
            for (_, entry) in &mut self.entries {
                entry.depends_on.retain(|r| kept.contains(r));
            }
        }
        // Refs are unique, so the unstable sort is deterministic.
        self.entries.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
        let position = |entries: &[(Arc<str>, Entry)], reference: &str| {
            entries.binary_search_by(|(r, _)| (**r).cmp(reference)).ok()
        };
        let spec = self.options.spec_version;
        let (root_ref, root_component, root_depends_on) = if self.roots.len() == 1 {
            let root_ref = self.roots.iter().next().cloned().unwrap_or_default();
            let mut entry = match position(&self.entries, &root_ref) {
                Some(at) => self.entries.remove(at).1,
                None => Entry::default(),
            };
            let depends_on = std::mem::take(&mut entry.depends_on);
            let mut component = to_component(Arc::clone(&root_ref), entry, spec);
            component.kind = "application";
            if let Some(name) = self.subject.name.take() {
                component.group = None;
                component.name = name;
            }
            if let Some(version) = self.subject.version.take() {
                component.version = Some(version);
            }
            (root_ref, component, depends_on)
        } else {
            // One lockfile whose workspace root is itself a package: that package is what the
            // input is. Several lockfiles are several projects, none of them the whole.
            let project = match (self.root_lockfiles.len(), self.projects.first()) {
                (1, Some(project)) if self.projects.len() == 1 => position(&self.entries, project)
                    .and_then(|at| self.entries.get(at))
                    .map(|(_, entry)| entry),
                _ => None,
            };
            let (group, name) = match (self.subject.name.take(), project) {
                (Some(name), _) => (None, name),
                (None, Some(project)) => (project.group.clone(), project.name.clone()),
                (None, None) => (None, fallback_name.to_owned()),
            };
            let version = self
                .subject
                .version
                .take()
                .or_else(|| project.and_then(|p| p.version.clone()));
            let component = Component {
                kind: "application",
                bom_ref: Some(Arc::from(SYNTHETIC_ROOT)),
                group,
                name,
                version,
                scope: None,
                hashes: Vec::new(),
                licenses: Vec::new(),
                purl: None,
                external_references: Vec::new(),
                properties: Vec::new(),
            };
            let roots = self.roots.iter().cloned().collect();
            (Arc::from(SYNTHETIC_ROOT), component, roots)
        };

        let mut dependencies = Vec::with_capacity(self.entries.len() + 1);
        dependencies.push(Dependency {
            reference: root_ref,
            depends_on: root_depends_on,
        });
        for (bom_ref, entry) in &mut self.entries {
            dependencies.push(Dependency {
                reference: bom_ref.clone(),
                depends_on: std::mem::take(&mut entry.depends_on),
            });
        }
        // Collected in place: a component is no larger than an entry, so the components reuse
        // the entries' memory instead of filling a fresh array (1.2 MB for 5,000 packages).
        const _: () = assert!(size_of::<Component>() <= size_of::<(Arc<str>, Entry)>());
        let components: Vec<Component> = self
            .entries
            .into_iter()
            .map(|(bom_ref, entry)| to_component(bom_ref, entry, spec))
            .collect();
        dependencies.sort_by(|a, b| a.reference.cmp(&b.reference));

        let mut properties: Vec<Property> = self
            .lockfiles
            .iter()
            .map(|l| Property {
                name: "supply:lockfile".into(),
                value: l.clone(),
            })
            .collect();
        if self
            .options
            .timestamp
            .is_some_and(Timestamp::is_reproducible)
        {
            properties.push(Property {
                name: "cdx:reproducible".into(),
                value: "true".into(),
            });
        }
        properties.sort_by(|a, b| (&a.name, &a.value).cmp(&(&b.name, &b.value)));

        Bom::new(Document {
            schema: match spec {
                SpecVersion::V1_5 => "http://cyclonedx.org/schema/bom-1.5.schema.json",
                SpecVersion::V1_6 => "http://cyclonedx.org/schema/bom-1.6.schema.json",
            },
            bom_format: "CycloneDX",
            spec_version: spec.as_str(),
            serial_number: render::ZERO_SERIAL,
            version: 1,
            metadata: Metadata {
                timestamp: self.options.timestamp.map(Timestamp::to_rfc3339),
                lifecycles: vec![Lifecycle { phase: "pre-build" }],
                tools: Tools {
                    components: vec![tool_component()],
                },
                component: root_component,
                properties,
            },
            components,
            dependencies,
        })
    }
}

/// Adds `items` to `list`, taking the vector itself when `list` is empty (the usual case: a
/// package seen once), so its items are neither copied nor given a second allocation.
fn append<T>(list: &mut Vec<T>, mut items: Vec<T>) {
    if list.is_empty() {
        *list = items;
    } else {
        list.append(&mut items);
    }
}

fn to_component(bom_ref: Arc<str>, entry: Entry, spec: SpecVersion) -> Component {
    let acknowledgement = (spec == SpecVersion::V1_6).then_some("declared");
    let hash_values = |hashes: Vec<Hash>| -> Vec<HashValue> {
        hashes
            .into_iter()
            .map(|h| HashValue {
                alg: h.alg.cyclonedx_name(),
                content: h.hex,
            })
            .collect()
    };
    Component {
        kind: "library",
        bom_ref: Some(bom_ref),
        group: entry.group,
        name: entry.name,
        version: entry.version,
        scope: entry.scope.map(|s| match s {
            Scope::Required => "required",
            Scope::Optional => "optional",
            Scope::Excluded => "excluded",
        }),
        hashes: hash_values(entry.hashes),
        licenses: entry
            .license
            .iter()
            .map(|l| cyclonedx::license_choice(l, acknowledgement))
            .collect(),
        purl: entry.purl,
        external_references: entry
            .external_references
            .into_iter()
            .map(|r| cyclonedx::ExternalReference {
                kind: match (r.kind, spec) {
                    (ReferenceKind::Distribution, _)
                    | (ReferenceKind::SourceDistribution, SpecVersion::V1_5) => "distribution",
                    (ReferenceKind::SourceDistribution, SpecVersion::V1_6) => "source-distribution",
                    (ReferenceKind::Vcs, _) => "vcs",
                },
                url: cyclonedx::iri_reference(r.url),
                hashes: hash_values(r.hashes),
            })
            .collect(),
        properties: entry
            .properties
            .into_iter()
            .map(|(name, value)| Property { name, value })
            .collect(),
    }
}

fn tool_component() -> Component {
    Component {
        kind: "application",
        bom_ref: None,
        group: None,
        name: "supply".into(),
        version: Some(env!("CARGO_PKG_VERSION").into()),
        scope: None,
        hashes: Vec::new(),
        licenses: Vec::new(),
        purl: None,
        external_references: Vec::new(),
        properties: Vec::new(),
    }
}

#[cfg(test)]
#[path = "builder_tests.rs"]
mod tests;
