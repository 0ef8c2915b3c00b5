//! The readable disassembly of a plan (`rulec compile`): stable, one instruction per line
//! with its operands by name and its source line. `docs/plan.md` explains the format.

use std::fmt::Write;

use super::{
    ActionPlan, BranchLabel, Const, Instr, Plan, RetryPlan, Rhs, RulePlan, Segment, SignPlan,
    ThrottleKeyPlan,
};
use crate::schema::{Schema, Slot};

/// Renders the whole plan.
pub fn render(plan: &Plan) -> String {
    let schema = plan.schema();
    let mut out = String::new();
    let _ = writeln!(out, "plan format {}", plan.version);
    let _ = writeln!(out, "files:");
    for (i, f) in plan.files.iter().enumerate() {
        let _ = writeln!(out, "  {i}  {f}");
    }
    if !plan.fields.is_empty() {
        let _ = writeln!(out, "custom fields:");
        for f in &plan.fields {
            let _ = writeln!(out, "  {}: {}", f.name, f.ty.to_schema().describe());
        }
    }
    let secrets = plan.secret_names();
    if !secrets.is_empty() {
        let _ = writeln!(out, "secrets used: {}", secrets.join(", "));
    }
    if !plan.consts.is_empty() {
        let _ = writeln!(out, "constants:");
        for (i, c) in plan.consts.iter().enumerate() {
            let _ = writeln!(out, "  k{i}  {}", show_const(c));
        }
    }
    for (index, rule) in plan.rules.iter().enumerate() {
        out.push('\n');
        render_rule(plan, &schema, index, rule, &mut out);
    }
    out
}

fn render_rule(plan: &Plan, schema: &Schema, index: usize, rule: &RulePlan, out: &mut String) {
    let _ = writeln!(
        out,
        "rule {index} {:?} when {}  ({})",
        rule.name,
        rule.trigger,
        plan.describe_loc(rule.loc)
    );
    for t in &rule.throttles {
        let key = match t.key {
            None => String::new(),
            Some(ThrottleKeyPlan::Case) => "per case ".into(),
            Some(ThrottleKeyPlan::Contact) => "per contact ".into(),
        };
        let _ = writeln!(out, "  throttle {key}{} per {}s", t.limit, t.window_secs);
    }
    let _ = writeln!(out, "  code:");
    let mut pc = rule.entry as usize;
    while let Some(instr) = plan.code.get(pc) {
        let line = plan.locs.get(pc).map(|l| l.line).unwrap_or(0);
        let text = show_instr(plan, schema, instr);
        let _ = writeln!(out, "    {pc:04}  {text:<60} ; line {line}");
        pc += 1;
        if matches!(instr, Instr::Return) {
            break;
        }
    }
    let first = rule.first_action as usize;
    let last = first + rule.action_count as usize;
    for (i, action) in plan
        .actions
        .get(first..last)
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        render_action(plan, schema, first + i, action, out);
    }
}

fn render_action(plan: &Plan, schema: &Schema, index: usize, a: &ActionPlan, out: &mut String) {
    let retry = match a.retry {
        RetryPlan::Default => "default".to_string(),
        RetryPlan::Times(n) => format!("{n} times"),
        RetryPlan::Never => "never".to_string(),
    };
    let _ = writeln!(
        out,
        "  action a{index} #{} {}  timeout {}s  retry {retry}  ; line {}",
        a.position, a.method, a.timeout_secs, a.loc.line
    );
    let _ = writeln!(out, "    url     {}", show_template(plan, schema, a.url));
    for (name, t) in &a.headers {
        let _ = writeln!(
            out,
            "    header  {name}: {}",
            show_template(plan, schema, *t)
        );
    }
    match &a.sign {
        Some(SignPlan::HmacSha256 { secret, header }) => {
            let _ = writeln!(out, "    sign    hmac-sha256 with {secret} in {header}");
        }
        Some(SignPlan::StandardWebhooks { secret }) => {
            let _ = writeln!(out, "    sign    standard-webhooks with {secret}");
        }
        None => {}
    }
    if let Some(body) = a.body {
        let _ = writeln!(out, "    body    {}", show_template(plan, schema, body));
    }
}

fn slot_name(schema: &Schema, slot: u16) -> String {
    if (slot as usize) < schema.slot_count() {
        schema.slot_name(Slot(slot))
    } else {
        "<unknown>".to_string()
    }
}

fn show_rhs(plan: &Plan, schema: &Schema, rhs: Rhs) -> String {
    match rhs {
        Rhs::Const(k) => match plan.consts.get(k as usize) {
            Some(c) => format!("k{k} {}", show_const(c)),
            None => format!("k{k}"),
        },
        Rhs::Slot(s) => slot_name(schema, s),
    }
}

/// One instruction: the opcode then its operands.
fn show_instr(plan: &Plan, schema: &Schema, instr: &Instr) -> String {
    let name = |s: u16| slot_name(schema, s);
    let cmp = |op: &str, slot: u16, rhs: Rhs| {
        format!("{op:<14} {}, {}", name(slot), show_rhs(plan, schema, rhs))
    };
    match *instr {
        Instr::IsEmpty { slot } => format!("{:<14} {}", "is_empty", name(slot)),
        Instr::IsNotEmpty { slot } => format!("{:<14} {}", "is_not_empty", name(slot)),
        Instr::Contains { slot, rhs } => cmp("contains", slot, rhs),
        Instr::NotContains { slot, rhs } => cmp("not_contains", slot, rhs),
        Instr::Eq { slot, rhs } => cmp("eq", slot, rhs),
        Instr::Ne { slot, rhs } => cmp("ne", slot, rhs),
        Instr::Lt { slot, rhs } => cmp("lt", slot, rhs),
        Instr::Le { slot, rhs } => cmp("le", slot, rhs),
        Instr::Gt { slot, rhs } => cmp("gt", slot, rhs),
        Instr::Ge { slot, rhs } => cmp("ge", slot, rhs),
        Instr::StartsWith { slot, rhs } => cmp("starts_with", slot, rhs),
        Instr::EndsWith { slot, rhs } => cmp("ends_with", slot, rhs),
        Instr::In { slot, list } => cmp("in", slot, Rhs::Const(list)),
        Instr::NotIn { slot, list } => cmp("not_in", slot, Rhs::Const(list)),
        Instr::Not => "not".to_string(),
        Instr::JumpIfFalse { to } => format!("{:<14} {to:04}", "jump_if_false"),
        Instr::JumpIfTrue { to } => format!("{:<14} {to:04}", "jump_if_true"),
        Instr::Jump { to } => format!("{:<14} {to:04}", "jump"),
        Instr::Enter { branch } => format!("{:<14} {}", "enter", show_branch(branch)),
        Instr::Send { action } => format!("{:<14} a{action}", "send"),
        Instr::Parallel { first, count } => {
            let list: Vec<String> = (first..first + count).map(|a| format!("a{a}")).collect();
            format!("{:<14} {}", "parallel", list.join(" "))
        }
        Instr::Return => "return".to_string(),
    }
}

fn show_branch(b: BranchLabel) -> String {
    format!("\"{}\"", b.render())
}

fn show_const(c: &Const) -> String {
    match c {
        Const::Str(s) => format!("{s:?}"),
        Const::Num(n) => format!("{n}"),
        Const::Bool(b) => format!("{b}"),
        Const::Time(nanos) => {
            let t = chrono::DateTime::from_timestamp_nanos(*nanos);
            format!(
                "time {}",
                t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
            )
        }
        Const::List(items) => {
            let items: Vec<String> = items.iter().map(show_const).collect();
            format!("[{}]", items.join(", "))
        }
    }
}

/// A template as text with `{{path}}` where tags go.
fn show_template(plan: &Plan, schema: &Schema, index: u32) -> String {
    let Some(t) = plan.templates.get(index as usize) else {
        return format!("<missing template {index}>");
    };
    let mut out = String::new();
    for seg in &t.segments {
        match seg {
            Segment::Lit(text) => out.push_str(text),
            Segment::Text { slot, fallback } | Segment::Json { slot, fallback } => {
                out.push_str("{{");
                out.push_str(&slot_name(schema, *slot));
                if let Some(c) = fallback.and_then(|k| plan.consts.get(k as usize)) {
                    let shown = match c {
                        Const::Str(s) => format!("'{s}'"),
                        other => show_const(other),
                    };
                    let _ = write!(out, " ?? {shown}");
                }
                out.push_str("}}");
            }
            Segment::Secret(name) => {
                let _ = write!(out, "{{{{secrets.{name}}}}}");
            }
        }
    }
    match t.context {
        super::TemplateContext::Body => out,
        _ => format!("\"{out}\""),
    }
}
