//! The writers' side of a run, composed rather than nested:
//!
//! ```text
//! runner (driving task) ──Arc<RunEvent>s──► bounded channel ──► writer thread
//!     └─ Redact: redacts each scenario's events once, when it ends
//!          └─ Tee ─┬─ JUnit        ─┬─ Messages
//!                  ├─ Entries spool ├─ Transcripts
//!                  └─ whatever else the caller adds (progress, failure log)
//! ```
//!
//! The driving task only sends: [`spawn`] gives it a [`Sender`] (an
//! [`EventSink`]) and moves the writers to a thread of their own, which
//! hands them back when the stream ends. File IO never runs on the task
//! that drives the scenarios.

use std::{
    collections::HashMap,
    sync::{Arc, Condvar, Mutex, PoisonError, mpsc},
    thread,
    time::SystemTime,
};

use certify_runner::{EventSink, RunEvent, ScenarioResult};

use crate::{bundle::BundleError, redact::Redactor};

/// One event of the redacted stream: texts, step messages and URLs redacted,
/// exchange bodies dropped. The events of a scenario's attempts arrive
/// together, when the scenario has ended (its secrets are known then), in
/// the order they happened, followed by its `ScenarioFinished`.
#[derive(Debug, Clone)]
pub struct Record {
    pub event: RunEvent,
    /// With `AttemptStarted`: the attempt's HTTP exchanges; with
    /// `ScenarioFinished`: those of every attempt. Each is rendered once, as
    /// its transcript records it (redacted, bodies capped), and shared.
    pub exchanges: Vec<Rendered>,
}

/// One exchange as the transcript records it.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The attempt it belongs to (1-based).
    pub attempt: usize,
    /// Compact JSON, redacted.
    pub json: Arc<str>,
    pub step_line: usize,
    pub method: String,
    /// The response's status, when a response came.
    pub status: Option<u16>,
    pub at: SystemTime,
}

/// A writer of the redacted stream.
pub trait Writer: Send {
    fn write(&mut self, record: &Record) -> Result<(), BundleError>;
}

/// Feeds two writers the same stream (nest for more). Both see every record;
/// the first error is returned.
pub struct Tee<A, B> {
    pub left: A,
    pub right: B,
}

impl<A, B> Tee<A, B> {
    pub fn new(left: A, right: B) -> Tee<A, B> {
        Tee { left, right }
    }
}

impl<A: Writer, B: Writer> Writer for Tee<A, B> {
    fn write(&mut self, record: &Record) -> Result<(), BundleError> {
        let left = self.left.write(record);
        let right = self.right.write(record);
        left.and(right)
    }
}

/// An [`EventSink`] (the console's progress, its failure log) as a writer of
/// the redacted stream.
pub struct Sink<S>(pub S);

impl<S: EventSink + Send> Writer for Sink<S> {
    fn write(&mut self, record: &Record) -> Result<(), BundleError> {
        self.0.on_event(&record.event);
        Ok(())
    }
}

/// Secret values the run has resolved so far (credentials, captured values),
/// asked each time a scenario ends.
pub type Secrets = Box<dyn Fn() -> Vec<String> + Send>;

/// The redaction adapter: holds a scenario's attempt and step events until
/// it ends, then learns the secrets its exchanges carried, scopes the
/// redactor to them (plus the run's credentials) and passes every event on
/// once, redacted, with each exchange rendered once.
pub struct Redact<W> {
    redactor: Redactor,
    cap: usize,
    secrets: Secrets,
    /// Attempt and step events of the scenarios in flight (bounded by the
    /// concurrency), as they were sent: shared, not copied.
    pending: HashMap<String, Vec<Arc<RunEvent>>>,
    inner: W,
    error: Option<BundleError>,
}

impl<W: Writer> Redact<W> {
    /// `cap`: transcript bodies above this many bytes are cut.
    pub fn new(redactor: Redactor, cap: usize, secrets: Secrets, inner: W) -> Redact<W> {
        Redact { redactor, cap, secrets, pending: HashMap::new(), inner, error: None }
    }

    /// The redactor (with every secret learnt), the writers, and the first
    /// error a writer met (after which nothing more was written).
    pub fn into_parts(self) -> (Redactor, W, Option<BundleError>) {
        (self.redactor, self.inner, self.error)
    }

    fn pass(&mut self, event: RunEvent, exchanges: Vec<Rendered>) {
        if self.error.is_none()
            && let Err(e) = self.inner.write(&Record { event, exchanges })
        {
            self.error = Some(e);
        }
    }

    fn scenario(&mut self, result: &Arc<ScenarioResult>) {
        for s in (self.secrets)() {
            self.redactor.add_persistent(&s);
        }
        let learnt: Vec<String> =
            result.attempts.iter().flat_map(|a| &a.exchanges).flat_map(|x| self.redactor.learn(x)).collect();
        self.redactor.scope(learnt);
        let rendered: Vec<Rendered> =
            result.attempts.iter().flat_map(|a| a.exchanges.iter().map(|x| self.render(a.number, x))).collect();
        for ev in self.pending.remove(&result.scenario.id).unwrap_or_default() {
            // The writer thread has let go of its handle: taking the event is free.
            let ev = Arc::try_unwrap(ev).unwrap_or_else(|shared| (*shared).clone());
            let exchanges = match &ev {
                RunEvent::AttemptStarted { attempt, .. } => {
                    rendered.iter().filter(|x| x.attempt == *attempt).cloned().collect()
                }
                _ => Vec::new(),
            };
            let event = redact_event(&self.redactor, ev);
            self.pass(event, exchanges);
        }
        let redacted = Arc::new(redacted(&self.redactor, result));
        self.pass(RunEvent::ScenarioFinished { result: redacted }, rendered);
    }

    fn render(&self, attempt: usize, x: &certify_steps::Exchange) -> Rendered {
        let json = serde_json::to_string(&self.redactor.transcript(x, self.cap)).unwrap_or_default();
        Rendered {
            attempt,
            json: Arc::from(self.redactor.text(&json).as_ref()),
            step_line: x.step_line,
            method: x.request.method.clone(),
            status: x.response.as_ref().map(|r| r.status),
            at: x.started_at,
        }
    }
}

impl<W: Writer> EventSink for Redact<W> {
    fn on_event(&mut self, event: &RunEvent) {
        self.on_shared(&Arc::new(event.clone()));
    }

    fn on_shared(&mut self, event: &Arc<RunEvent>) {
        match &**event {
            RunEvent::AttemptStarted { scenario, .. }
            | RunEvent::StepFinished { scenario, .. }
            | RunEvent::AttemptFinished { scenario, .. } => match self.pending.get_mut(&scenario.id) {
                Some(events) => events.push(event.clone()),
                None => {
                    self.pending.insert(scenario.id.clone(), vec![event.clone()]);
                }
            },
            RunEvent::ScenarioFinished { result } => self.scenario(result),
            other => self.pass(other.clone(), Vec::new()),
        }
    }
}

/// An attempt or step event with its texts and messages redacted, without exchanges.
fn redact_event(r: &Redactor, ev: RunEvent) -> RunEvent {
    let step = |mut s: certify_runner::event::StepRecord| {
        s.text = r.text(&s.text).into_owned();
        if let Some(f) = &mut s.failure {
            f.message = r.text(&f.message).into_owned();
        }
        s
    };
    match ev {
        RunEvent::StepFinished { scenario, attempt, step: s } => {
            RunEvent::StepFinished { scenario, attempt, step: step(s) }
        }
        RunEvent::AttemptFinished { scenario, mut attempt, will_retry } => {
            attempt.steps = attempt.steps.into_iter().map(step).collect();
            attempt.exchanges.clear();
            RunEvent::AttemptFinished { scenario, attempt, will_retry }
        }
        other => other,
    }
}

/// A copy of the result whose messages, step texts and URLs are redacted;
/// its exchanges keep what a summary line shows (method, URL, status, time),
/// without headers or bodies (the exchanges travel whole, rendered, with
/// `AttemptStarted`).
fn redacted(r: &Redactor, result: &ScenarioResult) -> ScenarioResult {
    let mut out = ScenarioResult { scenario: result.scenario.clone(), status: result.status, attempts: Vec::new() };
    for a in &result.attempts {
        let exchanges = a
            .exchanges
            .iter()
            .map(|x| certify_steps::Exchange {
                step_line: x.step_line,
                step: r.text(&x.step).into_owned(),
                request: certify_steps::RecordedRequest {
                    method: x.request.method.clone(),
                    url: r.text(&x.request.url).into_owned(),
                    headers: Vec::new(),
                    body: None,
                },
                response: x.response.as_ref().map(|resp| certify_steps::RecordedResponse {
                    status: resp.status,
                    headers: Vec::new(),
                    body: certify_steps::Body::default(),
                }),
                error: x.error.as_ref().map(|e| r.text(e).into_owned()),
                api: None,
                started_at: x.started_at,
                duration: x.duration,
            })
            .collect();
        let mut a = certify_runner::event::Attempt {
            number: a.number,
            status: a.status,
            started_at: a.started_at,
            duration: a.duration,
            steps: a.steps.clone(),
            exchanges,
        };
        for step in &mut a.steps {
            step.text = r.text(&step.text).into_owned();
            if let Some(f) = &mut step.failure {
                f.message = r.text(&f.message).into_owned();
            }
        }
        out.attempts.push(a);
    }
    out
}

/// How many batches of events (about one scenario each) may wait for the
/// writer thread before the driving task waits for it: enough to ride out a
/// slow write, little enough to bound memory. At 1,024 the writers' start
/// (the messages' test cases of every scenario) let a backlog of about 7 MiB
/// build up at 20,000 scenarios; at 64 or 1,024 the run takes the same time.
pub const CHANNEL_CAPACITY: usize = 128;

/// The bytes of exchange bodies that events waiting for the writer thread
/// hold, with the budget the driving task waits under: what waits in the
/// channel adds at most the budget to the bodies the scenarios in flight hold.
struct Budget {
    limit: usize,
    held: Mutex<usize>,
    freed: Condvar,
}

impl Budget {
    /// Waits until `weight` more bytes fit (or nothing is held: a batch
    /// larger than the budget goes alone), then holds them.
    fn take(&self, weight: usize) {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        while *held > 0 && *held + weight > self.limit {
            held = self.freed.wait(held).unwrap_or_else(PoisonError::into_inner);
        }
        *held += weight;
    }

    fn release(&self, weight: usize) {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        *held = held.saturating_sub(weight);
        self.freed.notify_all();
    }
}

/// The body bytes an event holds: a scenario's result holds its attempts'
/// exchanges (an `AttemptFinished` travels without them, see [`Sender`]).
fn weight(event: &RunEvent) -> usize {
    match event {
        RunEvent::ScenarioFinished { result } => result
            .attempts
            .iter()
            .flat_map(|a| &a.exchanges)
            .map(|x| {
                x.request.body.as_ref().map_or(0, |b| b.bytes.len())
                    + x.response.as_ref().map_or(0, |r| r.body.bytes.len())
            })
            .sum(),
        _ => 0,
    }
}

/// The copy of an event the writer thread gets. An `AttemptFinished` goes
/// without its exchanges: the scenario's `ScenarioFinished` carries every
/// attempt's, and the redaction adapter (the writers' side) takes them from
/// there, so the runner's exchanges are never copied on the way.
fn sent(event: &RunEvent) -> RunEvent {
    match event {
        RunEvent::AttemptFinished { scenario, attempt, will_retry } => RunEvent::AttemptFinished {
            scenario: scenario.clone(),
            attempt: certify_runner::event::Attempt {
                number: attempt.number,
                status: attempt.status,
                started_at: attempt.started_at,
                duration: attempt.duration,
                steps: attempt.steps.clone(),
                exchanges: Vec::new(),
            },
            will_retry: *will_retry,
        },
        other => other.clone(),
    }
}

/// The driving task's end of the channel: sends each event, as an `Arc`, to
/// the writer thread. A scenario's attempt and step events (which the
/// redaction adapter holds until the scenario ends anyway) travel with the
/// next event that is not one, so the threads meet about once a scenario.
/// Sending waits when the writers are [`CHANNEL_CAPACITY`] batches behind, or
/// when the bodies waiting for them would exceed the budget.
pub struct Sender {
    tx: Option<mpsc::SyncSender<(Vec<Arc<RunEvent>>, usize)>>,
    batch: Vec<Arc<RunEvent>>,
    weight: usize,
    budget: Arc<Budget>,
}

impl Sender {
    fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.batch);
        let weight = std::mem::take(&mut self.weight);
        // A writer thread that is gone has ended with its error (or
        // panicked): the join says so; the run goes on to its end.
        let Some(tx) = &self.tx else { return };
        self.budget.take(weight);
        if tx.send((batch, weight)).is_err() {
            self.budget.release(weight);
            self.tx = None;
        }
    }
}

impl EventSink for Sender {
    fn on_event(&mut self, event: &RunEvent) {
        self.weight += weight(event);
        self.batch.push(Arc::new(sent(event)));
        if !matches!(
            event,
            RunEvent::AttemptStarted { .. } | RunEvent::StepFinished { .. } | RunEvent::AttemptFinished { .. }
        ) {
            self.flush();
        }
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        self.flush();
    }
}

/// The writer thread: it owns `sink` until the sender is dropped, then hands it back.
pub struct WriterThread<S> {
    handle: thread::JoinHandle<S>,
}

impl<S> WriterThread<S> {
    /// Waits for the thread to write the last event and returns the sink.
    pub fn join(self) -> Result<S, BundleError> {
        self.handle.join().map_err(|_| BundleError::WriterPanicked)
    }
}

/// Starts the writer thread over `sink` and returns the sender for the
/// driving task. `body_budget`: the bytes of exchange bodies that may wait
/// for the writers (the run's body cap is a good measure: memory stays
/// bounded by the bodies in flight, plus this).
pub fn spawn<S: EventSink + Send + 'static>(
    mut sink: S,
    body_budget: usize,
) -> Result<(Sender, WriterThread<S>), BundleError> {
    let (tx, rx) = mpsc::sync_channel::<(Vec<Arc<RunEvent>>, usize)>(CHANNEL_CAPACITY);
    let budget = Arc::new(Budget { limit: body_budget, held: Mutex::new(0), freed: Condvar::new() });
    let theirs = budget.clone();
    let handle = thread::Builder::new()
        .name("certify-writer".to_owned())
        .spawn(move || {
            for (batch, weight) in rx {
                for event in batch {
                    sink.on_shared(&event);
                }
                theirs.release(weight);
            }
            sink
        })
        .map_err(|source| BundleError::Thread { source })?;
    Ok((Sender { tx: Some(tx), batch: Vec::new(), weight: 0, budget }, WriterThread { handle }))
}
