//! Turning event JSON into what the store records: decode, evaluate, keep secrets out.

use crate::plan::Plan;
use crate::secrets::Secrets;
use crate::vm::{self, effect::SignSpec};

use super::store::{NewEvent, NewExecution, SecretValues};

/// A compiled plan with its secrets, ready to take events.
pub struct Intake {
    plan: Plan,
    secrets: Secrets,
    values: SecretValues,
}

impl Intake {
    /// Takes a plan and the secrets it references.
    pub fn new(plan: Plan, secrets: Secrets) -> Intake {
        let values = SecretValues::new(
            plan.secret_names()
                .into_iter()
                .filter_map(|n| secrets.get(&n).map(|v| (n.clone(), v.to_string()))),
        );
        Intake {
            plan,
            secrets,
            values,
        }
    }

    /// The secret values the runtime fills in at send time.
    pub fn secret_values(&self) -> SecretValues {
        self.values.clone()
    }

    /// The plan.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Decodes one event and evaluates every rule it triggers.
    pub fn event(&self, json: &str) -> Result<NewEvent, vm::EventError> {
        let event = vm::decode_event(&self.plan, json)?;
        let executions = vm::evaluate(&self.plan, &event, &self.secrets);
        Ok(NewEvent {
            id: event.id().to_string(),
            body: json.trim().to_string(),
            executions: executions
                .into_iter()
                .map(|e| NewExecution::from_effect(e, &self.values))
                .collect(),
        })
    }
}

/// The runtime's signer: `sign::signature_headers` with its error as text.
pub fn sign(
    spec: &SignSpec,
    secret: &str,
    body: &[u8],
    message_id: &str,
    timestamp: i64,
) -> Result<Vec<(String, String)>, String> {
    crate::sign::signature_headers(spec, secret, body, message_id, timestamp)
        .map_err(|e| e.to_string())
}
