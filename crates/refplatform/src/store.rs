//! The in-memory domain model: tenants, their API keys, plans, quotas and metered usage.
//!
//! Everything here is plain data and functions of the current time (passed in by the caller), with
//! no HTTP in sight; the HTTP layer holds one [`Store`] behind a mutex and maps its results and
//! [`StoreError`]s to responses. Tenant ids and key ids are random UUIDs; API keys are
//! `ck_live_` followed by 32 random hex digits and are shown in full only when issued.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, SystemTime};

use uuid::Uuid;

use crate::clock;

/// How long a new tenant stays `provisioning` before it becomes `active`.
pub(crate) const PROVISIONING_DELAY: Duration = Duration::from_millis(300);

/// Prefix of every API key.
pub(crate) const KEY_PREFIX: &str = "ck_live_";

/// Usage records kept per tenant and period for export; older ones are dropped first.
const MAX_RECORDS: usize = 10_000;

/// A subscription plan; it fixes the tenant's quotas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plan {
    Free,
    Team,
    Enterprise,
}

impl Plan {
    pub(crate) const ALL: [Plan; 3] = [Plan::Free, Plan::Team, Plan::Enterprise];
    pub(crate) const NAMES: &'static str = "free, team, enterprise";

    pub(crate) fn parse(text: &str) -> Option<Plan> {
        match text {
            "free" => Some(Plan::Free),
            "team" => Some(Plan::Team),
            "enterprise" => Some(Plan::Enterprise),
            _ => None,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Team => "team",
            Plan::Enterprise => "enterprise",
        }
    }

    /// Units of `metric` a tenant on this plan may use per period.
    pub(crate) fn limit(self, metric: Metric) -> u64 {
        match (self, metric) {
            (Plan::Free, Metric::ApiCalls) => 1_000,
            (Plan::Free, Metric::ComputeMinutes) => 60,
            (Plan::Team, Metric::ApiCalls) => 100_000,
            (Plan::Team, Metric::ComputeMinutes) => 6_000,
            (Plan::Enterprise, Metric::ApiCalls) => 10_000_000,
            (Plan::Enterprise, Metric::ComputeMinutes) => 600_000,
        }
    }
}

/// A metered quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Metric {
    ApiCalls,
    ComputeMinutes,
}

impl Metric {
    pub(crate) const ALL: [Metric; 2] = [Metric::ApiCalls, Metric::ComputeMinutes];
    pub(crate) const NAMES: &'static str = "api_calls, compute_minutes";

    pub(crate) fn parse(text: &str) -> Option<Metric> {
        match text {
            "api_calls" => Some(Metric::ApiCalls),
            "compute_minutes" => Some(Metric::ComputeMinutes),
            _ => None,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Metric::ApiCalls => "api_calls",
            Metric::ComputeMinutes => "compute_minutes",
        }
    }

    fn index(self) -> usize {
        match self {
            Metric::ApiCalls => 0,
            Metric::ComputeMinutes => 1,
        }
    }
}

/// Where a tenant is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TenantStatus {
    Provisioning,
    Active,
    Suspended,
}

impl TenantStatus {
    pub(crate) const ALL: [TenantStatus; 3] =
        [TenantStatus::Provisioning, TenantStatus::Active, TenantStatus::Suspended];
    pub(crate) const NAMES: &'static str = "provisioning, active, suspended";

    pub(crate) fn parse(text: &str) -> Option<TenantStatus> {
        match text {
            "provisioning" => Some(TenantStatus::Provisioning),
            "active" => Some(TenantStatus::Active),
            "suspended" => Some(TenantStatus::Suspended),
            _ => None,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TenantStatus::Provisioning => "provisioning",
            TenantStatus::Active => "active",
            TenantStatus::Suspended => "suspended",
        }
    }
}

/// Why a store operation was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoreError {
    /// Another tenant already has this name.
    NameTaken,
    /// No such tenant.
    TenantNotFound,
    /// No such key for this tenant.
    KeyNotFound,
    /// Recording the units would take the tenant over its plan's limit for the period.
    QuotaExceeded { metric: Metric, limit: u64, used: u64, requested: u64 },
}

/// Why an API key was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthFailure {
    /// Never issued, or revoked.
    UnknownKey,
    /// The key is valid but its tenant is suspended.
    Suspended,
}

/// The tenant and key a request was authenticated with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Caller {
    pub(crate) tenant: Uuid,
    pub(crate) key: Uuid,
}

/// What a self-service sign-up asks for (already validated).
#[derive(Debug, Clone)]
pub(crate) struct NewTenant {
    pub(crate) name: String,
    pub(crate) plan: Plan,
    pub(crate) admin_email: String,
}

/// A tenant as seen from outside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TenantView {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) plan: Plan,
    pub(crate) admin_email: String,
    pub(crate) status: TenantStatus,
    pub(crate) created_at: SystemTime,
}

/// An API key as listed: never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyView {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) masked_key: String,
    pub(crate) created_at: SystemTime,
    pub(crate) last_used_at: Option<SystemTime>,
    pub(crate) revoked_at: Option<SystemTime>,
}

/// A freshly issued key: the only time its secret leaves the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IssuedKey {
    pub(crate) view: KeyView,
    pub(crate) secret: String,
}

/// One accepted usage report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UsageRecord {
    pub(crate) metric: Metric,
    pub(crate) units: u64,
    pub(crate) recorded_at: SystemTime,
}

/// A tenant's usage in the current period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UsageView {
    pub(crate) plan: Plan,
    pub(crate) period_start: SystemTime,
    pub(crate) resets_at: SystemTime,
    /// Units used per metric, in [`Metric::ALL`] order.
    pub(crate) totals: [(Metric, u64); 2],
}

/// Filters of the operator's tenant listing; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub(crate) struct TenantFilter {
    pub(crate) name: Option<String>,
    pub(crate) plan: Option<Plan>,
    pub(crate) status: Option<TenantStatus>,
}

#[derive(Debug)]
struct ApiKey {
    id: Uuid,
    name: String,
    secret: String,
    created_at: SystemTime,
    last_used_at: Option<SystemTime>,
    revoked_at: Option<SystemTime>,
}

impl ApiKey {
    fn view(&self) -> KeyView {
        let tail = self.secret.get(self.secret.len().saturating_sub(4)..).unwrap_or_default();
        KeyView {
            id: self.id,
            name: self.name.clone(),
            masked_key: format!("{KEY_PREFIX}****{tail}"),
            created_at: self.created_at,
            last_used_at: self.last_used_at,
            revoked_at: self.revoked_at,
        }
    }
}

#[derive(Debug, Default)]
struct Usage {
    period: u64,
    totals: [u64; 2],
    records: VecDeque<UsageRecord>,
}

impl Usage {
    /// Totals for `period` (all zero when the stored ones belong to an earlier period).
    fn totals_in(&self, period: u64) -> [u64; 2] {
        if self.period == period { self.totals } else { [0; 2] }
    }

    fn roll_to(&mut self, period: u64) {
        if self.period != period {
            self.period = period;
            self.totals = [0; 2];
            self.records.clear();
        }
    }
}

#[derive(Debug)]
struct Tenant {
    id: Uuid,
    seq: u64,
    name: String,
    plan: Plan,
    admin_email: String,
    created_at: SystemTime,
    suspended: bool,
    keys: Vec<ApiKey>,
    usage: Usage,
}

impl Tenant {
    fn status(&self, now: SystemTime) -> TenantStatus {
        if self.suspended {
            TenantStatus::Suspended
        } else if now < self.created_at + PROVISIONING_DELAY {
            TenantStatus::Provisioning
        } else {
            TenantStatus::Active
        }
    }

    fn view(&self, now: SystemTime) -> TenantView {
        TenantView {
            id: self.id,
            name: self.name.clone(),
            plan: self.plan,
            admin_email: self.admin_email.clone(),
            status: self.status(now),
            created_at: self.created_at,
        }
    }

    fn usage_view(&self, now: SystemTime) -> UsageView {
        let period = clock::period_of(now);
        let totals = self.usage.totals_in(period);
        UsageView {
            plan: self.plan,
            period_start: clock::period_start(period),
            resets_at: clock::next_period_start(now),
            totals: Metric::ALL.map(|m| (m, totals[m.index()])),
        }
    }

    fn issue_key(&mut self, name: String, now: SystemTime) -> IssuedKey {
        let key = ApiKey {
            id: Uuid::new_v4(),
            name,
            secret: format!("{KEY_PREFIX}{}", Uuid::new_v4().simple()),
            created_at: now,
            last_used_at: None,
            revoked_at: None,
        };
        let issued = IssuedKey { view: key.view(), secret: key.secret.clone() };
        self.keys.push(key);
        issued
    }
}

/// All platform state. Not synchronised itself: the HTTP layer keeps it behind one mutex and
/// never holds that across an await.
#[derive(Debug)]
pub(crate) struct Store {
    tenants: HashMap<Uuid, Tenant>,
    names: HashMap<String, Uuid>,
    /// Secret of every unrevoked key -> its tenant.
    secrets: HashMap<String, Uuid>,
    next_seq: u64,
    /// Usage is acknowledged but never counted (the `metering-stuck` fault).
    metering_stuck: bool,
}

impl Store {
    pub(crate) fn new(metering_stuck: bool) -> Store {
        Store { tenants: HashMap::new(), names: HashMap::new(), secrets: HashMap::new(), next_seq: 0, metering_stuck }
    }

    fn get(&self, id: Uuid) -> Result<&Tenant, StoreError> {
        self.tenants.get(&id).ok_or(StoreError::TenantNotFound)
    }

    fn get_mut(&mut self, id: Uuid) -> Result<&mut Tenant, StoreError> {
        self.tenants.get_mut(&id).ok_or(StoreError::TenantNotFound)
    }

    /// Creates a tenant in `provisioning` with its first key, named `default`.
    pub(crate) fn sign_up(&mut self, new: NewTenant, now: SystemTime) -> Result<(TenantView, IssuedKey), StoreError> {
        if self.names.contains_key(&new.name) {
            return Err(StoreError::NameTaken);
        }
        let id = Uuid::new_v4();
        let mut tenant = Tenant {
            id,
            seq: self.next_seq,
            name: new.name,
            plan: new.plan,
            admin_email: new.admin_email,
            created_at: now,
            suspended: false,
            keys: Vec::new(),
            usage: Usage { period: clock::period_of(now), ..Usage::default() },
        };
        self.next_seq += 1;
        let key = tenant.issue_key("default".to_owned(), now);
        let view = tenant.view(now);
        self.names.insert(tenant.name.clone(), id);
        self.secrets.insert(key.secret.clone(), id);
        self.tenants.insert(id, tenant);
        Ok((view, key))
    }

    /// Whether `secret` is a live API key of some tenant (suspended or not).
    pub(crate) fn is_api_key(&self, secret: &str) -> bool {
        self.secrets.contains_key(secret)
    }

    /// Resolves an API key to its caller and records when it was last used.
    pub(crate) fn authenticate(&mut self, secret: &str, now: SystemTime) -> Result<Caller, AuthFailure> {
        let tenant_id = *self.secrets.get(secret).ok_or(AuthFailure::UnknownKey)?;
        let tenant = self.tenants.get_mut(&tenant_id).ok_or(AuthFailure::UnknownKey)?;
        if tenant.suspended {
            return Err(AuthFailure::Suspended);
        }
        let key = tenant
            .keys
            .iter_mut()
            .find(|k| k.secret == secret && k.revoked_at.is_none())
            .ok_or(AuthFailure::UnknownKey)?;
        key.last_used_at = Some(now);
        Ok(Caller { tenant: tenant_id, key: key.id })
    }

    pub(crate) fn tenant(&self, id: Uuid, now: SystemTime) -> Result<TenantView, StoreError> {
        Ok(self.get(id)?.view(now))
    }

    pub(crate) fn create_key(&mut self, tenant: Uuid, name: String, now: SystemTime) -> Result<IssuedKey, StoreError> {
        let issued = self.get_mut(tenant)?.issue_key(name, now);
        self.secrets.insert(issued.secret.clone(), tenant);
        Ok(issued)
    }

    /// Every key of the tenant, revoked ones included, oldest first.
    pub(crate) fn keys(&self, tenant: Uuid) -> Result<Vec<KeyView>, StoreError> {
        Ok(self.get(tenant)?.keys.iter().map(ApiKey::view).collect())
    }

    /// Revokes one of the tenant's keys; revoking a revoked key again is accepted.
    pub(crate) fn revoke_key(&mut self, tenant: Uuid, key_id: Uuid, now: SystemTime) -> Result<KeyView, StoreError> {
        let owner = self.get_mut(tenant)?;
        let key = owner.keys.iter_mut().find(|k| k.id == key_id).ok_or(StoreError::KeyNotFound)?;
        if key.revoked_at.is_none() {
            key.revoked_at = Some(now);
        }
        let view = key.view();
        let secret = key.secret.clone();
        self.secrets.remove(&secret);
        Ok(view)
    }

    pub(crate) fn usage(&self, tenant: Uuid, now: SystemTime) -> Result<UsageView, StoreError> {
        Ok(self.get(tenant)?.usage_view(now))
    }

    /// The accepted usage reports of the current period, oldest first.
    pub(crate) fn usage_records(
        &self,
        tenant: Uuid,
        now: SystemTime,
    ) -> Result<(UsageView, Vec<UsageRecord>), StoreError> {
        let tenant = self.get(tenant)?;
        let records = if tenant.usage.period == clock::period_of(now) {
            tenant.usage.records.iter().copied().collect()
        } else {
            Vec::new()
        };
        Ok((tenant.usage_view(now), records))
    }

    /// Records usage unless it would exceed the plan's limit for the current period, in which
    /// case nothing is recorded.
    pub(crate) fn record_usage(
        &mut self,
        tenant: Uuid,
        metric: Metric,
        units: u64,
        now: SystemTime,
    ) -> Result<UsageRecord, StoreError> {
        let metering_stuck = self.metering_stuck;
        let tenant = self.get_mut(tenant)?;
        let record = UsageRecord { metric, units, recorded_at: now };
        if metering_stuck {
            return Ok(record);
        }
        tenant.usage.roll_to(clock::period_of(now));
        let limit = tenant.plan.limit(metric);
        let used = tenant.usage.totals[metric.index()];
        let after = used.saturating_add(units);
        if after > limit {
            return Err(StoreError::QuotaExceeded { metric, limit, used, requested: units });
        }
        tenant.usage.totals[metric.index()] = after;
        if tenant.usage.records.len() >= MAX_RECORDS {
            tenant.usage.records.pop_front();
        }
        tenant.usage.records.push_back(record);
        Ok(record)
    }

    /// Tenants matching the filter, in sign-up order.
    pub(crate) fn list_tenants(&self, filter: &TenantFilter, now: SystemTime) -> Vec<TenantView> {
        let mut found: Vec<&Tenant> = self
            .tenants
            .values()
            .filter(|t| filter.name.as_deref().is_none_or(|n| n == t.name))
            .filter(|t| filter.plan.is_none_or(|p| p == t.plan))
            .filter(|t| filter.status.is_none_or(|s| s == t.status(now)))
            .collect();
        found.sort_by_key(|t| t.seq);
        found.into_iter().map(|t| t.view(now)).collect()
    }

    /// A tenant with the number of its live keys and its current usage.
    pub(crate) fn tenant_detail(
        &self,
        id: Uuid,
        now: SystemTime,
    ) -> Result<(TenantView, usize, UsageView), StoreError> {
        let tenant = self.get(id)?;
        let live_keys = tenant.keys.iter().filter(|k| k.revoked_at.is_none()).count();
        Ok((tenant.view(now), live_keys, tenant.usage_view(now)))
    }

    /// Suspends or resumes a tenant; doing it twice is accepted.
    pub(crate) fn set_suspended(
        &mut self,
        id: Uuid,
        suspended: bool,
        now: SystemTime,
    ) -> Result<TenantView, StoreError> {
        let tenant = self.get_mut(id)?;
        tenant.suspended = suspended;
        Ok(tenant.view(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn t0() -> SystemTime {
        // 2023-11-14T22:13:20Z, 6400 s before the end of its UTC day.
        UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    fn sign_up(store: &mut Store, name: &str, plan: Plan) -> (TenantView, IssuedKey) {
        store
            .sign_up(NewTenant { name: name.to_owned(), plan, admin_email: format!("admin@{name}.test") }, t0())
            .unwrap()
    }

    #[test]
    fn the_listed_names_are_every_value() {
        let join = |names: Vec<&str>| names.join(", ");
        assert_eq!(join(Plan::ALL.map(Plan::as_str).to_vec()), Plan::NAMES);
        assert_eq!(join(Metric::ALL.map(Metric::as_str).to_vec()), Metric::NAMES);
        assert_eq!(join(TenantStatus::ALL.map(TenantStatus::as_str).to_vec()), TenantStatus::NAMES);
        for plan in Plan::ALL {
            assert_eq!(Plan::parse(plan.as_str()), Some(plan));
        }
        for status in TenantStatus::ALL {
            assert_eq!(TenantStatus::parse(status.as_str()), Some(status));
        }
    }

    #[test]
    fn sign_up_provisions_then_activates() {
        let mut store = Store::new(false);
        let (tenant, key) = sign_up(&mut store, "acme", Plan::Team);
        assert_eq!(tenant.status, TenantStatus::Provisioning);
        assert!(key.secret.starts_with(KEY_PREFIX));
        assert_eq!(key.secret.len(), KEY_PREFIX.len() + 32);
        let later = t0() + PROVISIONING_DELAY;
        assert_eq!(store.tenant(tenant.id, later).unwrap().status, TenantStatus::Active);
    }

    #[test]
    fn names_are_unique() {
        let mut store = Store::new(false);
        sign_up(&mut store, "acme", Plan::Free);
        let again = store
            .sign_up(NewTenant { name: "acme".to_owned(), plan: Plan::Team, admin_email: "x@y.test".to_owned() }, t0());
        assert_eq!(again.unwrap_err(), StoreError::NameTaken);
    }

    #[test]
    fn revoked_keys_stop_authenticating_and_stay_listed() {
        let mut store = Store::new(false);
        let (tenant, first) = sign_up(&mut store, "acme", Plan::Free);
        let second = store.create_key(tenant.id, "ci".to_owned(), t0()).unwrap();
        assert_eq!(store.authenticate(&second.secret, t0()).unwrap().key, second.view.id);
        store.revoke_key(tenant.id, second.view.id, t0()).unwrap();
        assert_eq!(store.authenticate(&second.secret, t0()), Err(AuthFailure::UnknownKey));
        assert!(store.authenticate(&first.secret, t0()).is_ok());
        let keys = store.keys(tenant.id).unwrap();
        assert_eq!(keys.len(), 2);
        assert!(keys[1].revoked_at.is_some());
        assert!(keys[0].last_used_at.is_some());
        let tail = &first.secret[first.secret.len() - 4..];
        assert_eq!(keys[0].masked_key, format!("ck_live_****{tail}"));
    }

    #[test]
    fn keys_of_other_tenants_cannot_be_revoked() {
        let mut store = Store::new(false);
        let (a, _) = sign_up(&mut store, "a-corp", Plan::Free);
        let (_, b_key) = sign_up(&mut store, "b-corp", Plan::Free);
        assert_eq!(store.revoke_key(a.id, b_key.view.id, t0()).unwrap_err(), StoreError::KeyNotFound);
    }

    #[test]
    fn suspension_refuses_keys_until_resumed() {
        let mut store = Store::new(false);
        let (tenant, key) = sign_up(&mut store, "acme", Plan::Free);
        let view = store.set_suspended(tenant.id, true, t0()).unwrap();
        assert_eq!(view.status, TenantStatus::Suspended);
        assert_eq!(store.authenticate(&key.secret, t0()), Err(AuthFailure::Suspended));
        store.set_suspended(tenant.id, false, t0()).unwrap();
        assert!(store.authenticate(&key.secret, t0()).is_ok());
    }

    #[test]
    fn usage_beyond_the_plan_limit_is_refused_and_not_recorded() {
        let mut store = Store::new(false);
        let (tenant, _) = sign_up(&mut store, "acme", Plan::Free);
        store.record_usage(tenant.id, Metric::ApiCalls, 990, t0()).unwrap();
        let refused = store.record_usage(tenant.id, Metric::ApiCalls, 11, t0());
        assert_eq!(
            refused.unwrap_err(),
            StoreError::QuotaExceeded { metric: Metric::ApiCalls, limit: 1_000, used: 990, requested: 11 }
        );
        store.record_usage(tenant.id, Metric::ApiCalls, 10, t0()).unwrap();
        let usage = store.usage(tenant.id, t0()).unwrap();
        assert_eq!(usage.totals, [(Metric::ApiCalls, 1_000), (Metric::ComputeMinutes, 0)]);
        let (_, records) = store.usage_records(tenant.id, t0()).unwrap();
        assert_eq!(records.len(), 2);
    }

    #[test]
    fn usage_resets_with_the_period() {
        let mut store = Store::new(false);
        let (tenant, _) = sign_up(&mut store, "acme", Plan::Free);
        store.record_usage(tenant.id, Metric::ApiCalls, 1_000, t0()).unwrap();
        let tomorrow = t0() + Duration::from_secs(clock::PERIOD_SECS);
        assert_eq!(store.usage(tenant.id, tomorrow).unwrap().totals[0].1, 0);
        assert!(store.usage_records(tenant.id, tomorrow).unwrap().1.is_empty());
        store.record_usage(tenant.id, Metric::ApiCalls, 1_000, tomorrow).unwrap();
    }

    #[test]
    fn stuck_metering_acknowledges_but_never_counts() {
        let mut store = Store::new(true);
        let (tenant, _) = sign_up(&mut store, "acme", Plan::Free);
        store.record_usage(tenant.id, Metric::ApiCalls, 5_000, t0()).unwrap();
        assert_eq!(store.usage(tenant.id, t0()).unwrap().totals[0].1, 0);
    }

    #[test]
    fn listing_filters_and_keeps_sign_up_order() {
        let mut store = Store::new(false);
        sign_up(&mut store, "zeta", Plan::Free);
        sign_up(&mut store, "alpha", Plan::Team);
        sign_up(&mut store, "mid", Plan::Free);
        let all = store.list_tenants(&TenantFilter::default(), t0());
        let names: Vec<_> = all.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["zeta", "alpha", "mid"]);
        let free = TenantFilter { plan: Some(Plan::Free), ..TenantFilter::default() };
        assert_eq!(store.list_tenants(&free, t0()).len(), 2);
        let named = TenantFilter {
            name: Some("alpha".to_owned()),
            status: Some(TenantStatus::Provisioning),
            ..TenantFilter::default()
        };
        assert_eq!(store.list_tenants(&named, t0()).len(), 1);
    }
}
