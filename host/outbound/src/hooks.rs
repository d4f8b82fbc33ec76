//! The wasmtime-wasi-http hooks of one invocation.

use std::sync::Arc;
use std::time::Instant;

use fnhost_core::outbound::AllowedHosts;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use crate::Outbound;
use crate::send::Call;

/// What one invocation's outbound requests are checked against: the function's allow-list,
/// the host's settings and the invocation's deadline. Lives in the store's state.
pub struct OutboundHooks {
    outbound: Arc<Outbound>,
    function: Arc<str>,
    allowed: Arc<AllowedHosts>,
    deadline: Instant,
    request_id: Arc<str>,
}

impl OutboundHooks {
    /// Hooks for one invocation of `function` that must end by `deadline`.
    pub fn new(
        outbound: Arc<Outbound>,
        function: &str,
        allowed: Arc<AllowedHosts>,
        deadline: Instant,
        request_id: &str,
    ) -> OutboundHooks {
        OutboundHooks {
            outbound,
            function: function.into(),
            allowed,
            deadline,
            request_id: request_id.into(),
        }
    }
}

type Sent = (
    http::Response<WasiBody>,
    Box<dyn Future<Output = Result<(), Error>> + Send>,
);

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _response_errors: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> Box<dyn Future<Output = Result<Sent, Error>> + Send> {
        let call = Call {
            outbound: self.outbound.clone(),
            function: self.function.clone(),
            allowed: self.allowed.clone(),
            deadline: self.deadline,
            request_id: self.request_id.clone(),
        };
        Box::new(call.send(request, options))
    }
}
