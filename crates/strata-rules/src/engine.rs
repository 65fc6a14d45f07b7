//! The compiled rule set: the event-type index, enabling and disabling, evaluation, alerts.

use serde::Serialize;

use crate::event::Event;
use crate::evttypes::{self, EVENT_TYPES, TypeSet};
use crate::filter::{EvtInfo, Filter, Interner, Scratch};
use crate::loader::Priority;
use crate::output::OutputFormat;
use crate::time;

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    /// Name.
    pub name: String,
    /// Description.
    pub desc: String,
    /// The condition as written (after appends).
    pub condition: String,
    /// The output format as written.
    pub output: String,
    /// The compiled output.
    pub format: OutputFormat,
    /// Priority.
    pub priority: Priority,
    /// Event source (`syscall`, `k8s_audit`).
    pub source: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Enabled.
    pub enabled: bool,
    /// The compiled condition (exceptions included).
    pub filter: Filter,
    /// Event types the condition can match.
    pub types: TypeSet,
    /// File of the (first) definition.
    pub file: String,
    /// Line of the (first) definition.
    pub line: usize,
}

impl CompiledRule {
    /// Event type names the rule can match, or `None` when it matches every type.
    pub fn event_types(&self) -> Option<Vec<&'static str>> {
        if self.types.is_all() {
            None
        } else {
            Some(self.types.names())
        }
    }
}

/// An alert in Falco's JSON alert shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// Event time, RFC 3339 with nanoseconds.
    pub time: String,
    /// Rule name.
    pub rule: String,
    /// Priority name (`Warning`, ...).
    pub priority: String,
    /// `"<time>: <Priority> <rendered output>"`, as Falco prints it.
    pub output: String,
    /// Every `%field` of the output with its value (`null` when missing).
    pub output_fields: serde_json::Map<String, serde_json::Value>,
    /// Event source.
    pub source: String,
    /// Rule tags.
    pub tags: Vec<String>,
    /// Host name.
    pub hostname: String,
}

/// Compiled rules indexed by event type.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<CompiledRule>,
    /// For each event type id, the enabled syscall rules that can match it, in load order.
    by_type: Vec<Vec<u32>>,
    /// Enabled syscall rules that match every type (also used for unknown event types).
    catchall: Vec<u32>,
    /// Enabled `k8s_audit` rules.
    k8s_audit: Vec<u32>,
    interner: Interner,
}

/// How to select rules for enabling or disabling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// Exact rule name, or a wildcard pattern with `*` and `?`.
    Name(String),
    /// Every rule carrying this tag.
    Tag(String),
}

impl RuleSet {
    pub(crate) fn new(rules: Vec<CompiledRule>, interner: Interner) -> RuleSet {
        let mut rs = RuleSet {
            rules,
            by_type: Vec::new(),
            catchall: Vec::new(),
            k8s_audit: Vec::new(),
            interner,
        };
        rs.reindex();
        rs
    }

    fn reindex(&mut self) {
        self.by_type = vec![Vec::new(); EVENT_TYPES.len()];
        self.catchall.clear();
        self.k8s_audit.clear();
        for (i, r) in self.rules.iter().enumerate() {
            let Ok(i) = u32::try_from(i) else { continue };
            if r.enabled && r.source == "k8s_audit" {
                self.k8s_audit.push(i);
            }
            if !r.enabled || r.source != "syscall" {
                continue;
            }
            // Events of a type outside the table meet the rules that admit other types
            // (no evt.type condition, or a negated one such as `evt.type != execve`).
            if r.types.has_other() {
                self.catchall.push(i);
            }
            for (t, list) in self.by_type.iter_mut().enumerate() {
                if r.types.contains(t) {
                    list.push(i);
                }
            }
        }
    }

    /// All rules (enabled or not), in load order.
    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    /// Number of distinct interned constant strings.
    pub fn interned_strings(&self) -> usize {
        self.interner.len()
    }

    /// Enables or disables the selected rules; returns how many matched.
    /// A name that is some rule's exact name selects that rule only, so names holding
    /// `*`, `?` or `[` (Falco allows them) can still be chosen one by one.
    pub fn set_enabled(&mut self, sel: &Selector, enabled: bool) -> usize {
        let exact = match sel {
            Selector::Name(p) => self.rules.iter().any(|r| r.name == *p),
            Selector::Tag(_) => false,
        };
        let mut n = 0;
        for r in &mut self.rules {
            let hit = match sel {
                Selector::Name(p) if exact => r.name == *p,
                Selector::Name(p) => {
                    crate::filter::glob_match(p.as_bytes(), r.name.as_bytes(), false)
                }
                Selector::Tag(t) => r.tags.iter().any(|x| x == t),
            };
            if hit {
                r.enabled = enabled;
                n += 1;
            }
        }
        self.reindex();
        n
    }

    /// The ids of rules an event of this type is offered to.
    pub fn candidates(&self, evt_type: &str) -> &[u32] {
        match evttypes::id_of(evt_type) {
            Some(id) => self
                .by_type
                .get(usize::from(id))
                .map_or(&[][..], Vec::as_slice),
            None => &self.catchall,
        }
    }

    /// Evaluates an event; pushes the indices of matching rules into `out` (cleared first).
    /// Allocates nothing once `scratch` and `out` have grown.
    pub fn matching(&self, ev: &Event, scratch: &mut Scratch, out: &mut Vec<u32>) {
        out.clear();
        let type_id = evttypes::id_of(&ev.evt_type);
        let info = EvtInfo { type_id };
        let cands = match type_id {
            _ if ev.audit.is_some() => &self.k8s_audit,
            Some(id) => self
                .by_type
                .get(usize::from(id))
                .map_or(&[][..], Vec::as_slice),
            None => &self.catchall,
        };
        for &i in cands {
            if let Some(r) = self.rules.get(i as usize)
                && r.filter.eval(ev, info, scratch)
            {
                out.push(i);
            }
        }
    }

    /// Builds the alert for a rule that matched an event.
    pub fn alert(&self, rule: u32, ev: &Event, scratch: &mut Scratch) -> Option<Alert> {
        let r = self.rules.get(rule as usize)?;
        let _ = scratch;
        let (text, fields) = r.format.render(ev);
        let mut t = String::new();
        time::fmt_time(&mut t, ev.ts, true);
        let output = format!("{t}: {} {text}", r.priority.name());
        let mut iso = String::new();
        time::fmt_iso8601(&mut iso, ev.ts);
        Some(Alert {
            time: iso,
            rule: r.name.clone(),
            priority: r.priority.name().to_string(),
            output,
            output_fields: fields,
            source: r.source.clone(),
            tags: r.tags.clone(),
            hostname: ev
                .hostname
                .clone()
                .unwrap_or_else(|| local_hostname().to_owned()),
        })
    }

    /// Evaluates an event and returns its alerts (convenience; allocates).
    pub fn evaluate(&self, ev: &Event) -> Vec<Alert> {
        let mut s = Scratch::default();
        let mut hits = Vec::new();
        self.matching(ev, &mut s, &mut hits);
        hits.iter()
            .filter_map(|&i| self.alert(i, ev, &mut s))
            .collect()
    }
}

/// This machine's name, for alerts whose event does not name its host (Falco fills
/// `hostname` the same way). Read once.
fn local_hostname() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .or_else(|_| std::fs::read_to_string("/etc/hostname"))
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn ruleset_is_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<super::RuleSet>();
        assert_send_sync::<super::Alert>();
        assert_send_sync::<crate::Event>();
    }
}
