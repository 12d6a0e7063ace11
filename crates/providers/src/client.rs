//! The HTTP client for upstream calls: connections from hyper-util's connector (plain TCP or
//! rustls, certificates checked against the system's trust store; an HTTP `CONNECT` tunnel
//! where the proxy settings say so; a spare kept ready per upstream), and HTTP/1.1 on them
//! from [`crate::h1`], pooled in [`crate::pool`]. Why not hyper's own client: see [`crate::h1`].

use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::{GaiResolver, Name};
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use serde::de::DeserializeOwned;
use tokio::io::AsyncReadExt;
use tower_service::Service;

use crate::ProviderError;
use crate::egress::EgressGuard;
use crate::h1;
use crate::pool::Pool;
use crate::spare::{Spares, usable};

/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest body [`Response::json`] reads.
const MAX_JSON_BODY: usize = 32 * 1024 * 1024;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Connector = Spares<hyper_rustls::HttpsConnector<Connect>>;
/// A connection as the connector opens it.
type Conn = <Connector as Service<Uri>>::Response;

/// A pooled client for upstream calls; cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Shared>,
}

struct Shared {
    connector: Connector,
    pool: Pool<Conn>,
}

/// How a client finds a host's addresses.
#[derive(Clone, Debug)]
enum Resolver {
    /// The system resolver, for the operator's own endpoints.
    System(GaiResolver),
    /// The egress guard, for URLs a user supplied: private targets are refused.
    Guarded(EgressGuard),
}

impl tower_service::Service<Name> for Resolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        match self {
            Resolver::System(gai) => {
                let lookup = gai.call(name);
                Box::pin(async move {
                    let addrs: Vec<SocketAddr> = lookup.await?.collect();
                    Ok(addrs.into_iter())
                })
            }
            Resolver::Guarded(guard) => {
                let guard = guard.clone();
                Box::pin(async move {
                    let addrs = guard.resolve(name.as_str(), 0).await?;
                    Ok(addrs.into_iter())
                })
            }
        }
    }
}

/// Connects to a destination directly or, when the proxy settings name a proxy for it, through
/// an HTTP `CONNECT` tunnel to it (TLS to the destination then runs inside the tunnel).
#[derive(Clone, Debug)]
struct Connect {
    http: HttpConnector<Resolver>,
    proxies: Arc<Matcher>,
}

impl tower_service::Service<Uri> for Connect {
    type Response = TokioIo<tokio::net::TcpStream>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let Some(proxy) = self.proxies.intercept(&dst) else {
            let connecting = self.http.call(dst);
            return Box::pin(async move { connecting.await.map_err(Into::into) });
        };
        let mut tunnel = Tunnel::new(proxy.uri().clone(), self.http.clone());
        if let Some(auth) = proxy.basic_auth() {
            tunnel = tunnel.with_auth(auth.clone());
        }
        Box::pin(async move {
            // The tunnel asks for port 443 when the URI names none; plain http means 80.
            let dst = with_default_port(dst)?;
            tunnel.call(dst).await.map_err(Into::into)
        })
    }
}

/// `dst` with its scheme's default port written out.
fn with_default_port(dst: Uri) -> Result<Uri, BoxError> {
    if dst.port().is_some() {
        return Ok(dst);
    }
    let port = if dst.scheme_str() == Some("http") {
        80
    } else {
        443
    };
    let host = dst.host().ok_or("no host")?;
    let mut parts = dst.clone().into_parts();
    parts.authority = Some(format!("{host}:{port}").parse()?);
    Ok(Uri::from_parts(parts)?)
}

impl HttpClient {
    /// A client for the operator's endpoints (any address, local model servers included).
    /// Calls go through the proxies named by `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and
    /// `NO_PROXY` (read as curl and reqwest read them), like every client before it.
    /// A spare connection is kept ready for each upstream (see [`crate::spare`]).
    pub fn new() -> Self {
        Self::build(
            Resolver::System(GaiResolver::new()),
            Matcher::from_env(),
            true,
        )
    }

    /// Like [`Self::new`], with no spare connections.
    pub fn without_spares() -> Self {
        Self::build(
            Resolver::System(GaiResolver::new()),
            Matcher::from_env(),
            false,
        )
    }

    /// A client that sends every call through the HTTP proxy at `url` (a `CONNECT` tunnel).
    pub fn with_proxy(url: &str) -> Self {
        Self::build(
            Resolver::System(GaiResolver::new()),
            Matcher::builder().all(url.to_owned()).build(),
            true,
        )
    }

    /// A client whose every connection goes through `guard` (user-supplied URLs). Like all of
    /// these clients it follows no redirects. With a proxy, the guard checks the proxy's
    /// address and `check_url` the destination's, as before. No spare connections: a URL a
    /// user typed gets no connection nobody asked for.
    pub(crate) fn guarded(guard: EgressGuard) -> Self {
        Self::build(Resolver::Guarded(guard), Matcher::from_env(), false)
    }

    fn build(resolver: Resolver, proxies: Matcher, spares: bool) -> Self {
        let mut http = HttpConnector::new_with_resolver(resolver);
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let connect = Connect {
            http,
            proxies: Arc::new(proxies),
        };
        let tls = hyper_rustls::HttpsConnector::from((connect, tls_config()));
        let connector = if spares {
            Spares::new(tls)
        } else {
            Spares::none(tls)
        };
        Self {
            inner: Arc::new(Shared {
                connector,
                pool: Pool::default(),
            }),
        }
    }

    /// Sends `request` to `origin` on an idle connection, or a new one, and reads the answer's
    /// head. A pooled connection that turns out closed before any answer came (the server
    /// dropped it while idle) is thrown away and the request sent on another.
    async fn exchange(
        &self,
        origin: Uri,
        request: &[u8],
        method: &Method,
    ) -> Result<Response, ProviderError> {
        loop {
            let (conn, reused) = match self.inner.pool.take(&origin, usable) {
                Some(conn) => (conn, true),
                None => (self.connect(&origin).await?, false),
            };
            let mut io = TokioIo::new(conn);
            let mut buf = BytesMut::new();
            match h1::exchange(&mut io, request, method, &mut buf).await {
                Ok(head) => {
                    let reuse = head.reusable.then(|| (self.inner.clone(), origin));
                    return Ok(Response {
                        status: head.status,
                        headers: head.headers,
                        body: Body {
                            io: Some(io),
                            buf,
                            decoder: h1::Decoder::new(head.framing),
                            reuse,
                        },
                    });
                }
                Err(failed) if reused && failed.before_answer => {}
                Err(failed) => return Err(transport(&failed.error)),
            }
        }
    }

    /// A new connection to `origin`.
    async fn connect(&self, origin: &Uri) -> Result<Conn, ProviderError> {
        let mut connector = self.inner.connector.clone();
        poll_fn(|cx| connector.poll_ready(cx))
            .await
            .map_err(|e| transport(&*e))?;
        connector
            .call(origin.clone())
            .await
            .map_err(|e| transport(&*e))
    }

    /// A request to `url`.
    pub fn request(&self, method: Method, url: impl AsRef<str>) -> RequestBuilder {
        let mut builder = RequestBuilder {
            client: self.clone(),
            method,
            uri: None,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            error: None,
        };
        match url.as_ref().parse::<Uri>() {
            Ok(uri) if uri.scheme().is_some() && uri.host().is_some() => builder.uri = Some(uri),
            _ => builder.error = Some("not an absolute http(s) URL".into()),
        }
        builder
    }

    /// A GET request to `url`.
    pub fn get(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::GET, url)
    }

    /// A POST request to `url`.
    pub fn post(&self, url: impl AsRef<str>) -> RequestBuilder {
        self.request(Method::POST, url)
    }
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HttpClient")
    }
}

impl Default for HttpClient {
    fn default() -> Self {
        Self::new()
    }
}

/// rustls with aws-lc-rs and the platform's certificate verifier (the system trust store, as
/// reqwest uses); HTTP/1.1 only. Built once per process.
fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
            let verifier: Arc<dyn ServerCertVerifier> =
                match rustls_platform_verifier::Verifier::new(provider.clone()) {
                    Ok(v) => Arc::new(v),
                    Err(e) => Arc::new(NoTrustStore(e.to_string(), provider.clone())),
                };
            let builder = match rustls::ClientConfig::builder_with_provider(provider)
                .with_protocol_versions(rustls::DEFAULT_VERSIONS)
            {
                Ok(builder) => builder,
                // A startup invariant, not input: rustls's own provider has its own defaults.
                Err(e) => unreachable!("aws-lc-rs supports rustls's default versions: {e}"),
            };
            let mut config = builder
                .dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_no_client_auth();
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            Arc::new(config)
        })
        .clone()
}

/// The verifier when the system trust store cannot be read: every TLS connection fails,
/// saying why, instead of the process.
#[derive(Debug)]
struct NoTrustStore(String, Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoTrustStore {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Err(rustls::Error::General(format!(
            "the system trust store could not be loaded: {}",
            self.0
        )))
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::General("no trust store".into()))
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::General("no trust store".into()))
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.1.signature_verification_algorithms.supported_schemes()
    }
}

/// A request being built; problems (a bad URL or header) are reported by [`Self::send`].
#[derive(Debug)]
pub struct RequestBuilder {
    client: HttpClient,
    method: Method,
    uri: Option<Uri>,
    headers: HeaderMap,
    body: Bytes,
    error: Option<String>,
}

impl RequestBuilder {
    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(n), Ok(v)) => {
                self.headers.append(n, v);
            }
            _ => {
                self.error
                    .get_or_insert_with(|| format!("header {name:?} is not a valid HTTP header"));
            }
        }
        self
    }

    /// `Authorization: Bearer {token}`, marked sensitive.
    pub fn bearer_auth(mut self, token: &str) -> Self {
        match HeaderValue::from_str(&format!("Bearer {token}")) {
            Ok(mut v) => {
                v.set_sensitive(true);
                self.headers.insert(AUTHORIZATION, v);
            }
            Err(_) => {
                self.error
                    .get_or_insert_with(|| "the API key is not a valid header value".into());
            }
        }
        self
    }

    /// A JSON body.
    pub fn json<T: serde::Serialize + ?Sized>(mut self, body: &T) -> Self {
        match serde_json::to_vec(body) {
            Ok(bytes) => {
                self.body = Bytes::from(bytes);
                self.headers
                    .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            }
            Err(e) => {
                self.error.get_or_insert_with(|| e.to_string());
            }
        }
        self
    }

    /// A body sent exactly as given (a signed webhook payload must not be re-serialized).
    pub fn body(mut self, content_type: &'static str, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        self
    }

    /// A body with a content type built at run time (a multipart boundary).
    pub fn body_with(mut self, content_type: &str, body: impl Into<Bytes>) -> Self {
        match HeaderValue::from_str(content_type) {
            Ok(v) => {
                self.body = body.into();
                self.headers.insert(CONTENT_TYPE, v);
            }
            Err(_) => {
                self.error
                    .get_or_insert_with(|| format!("{content_type:?} is not a content type"));
            }
        }
        self
    }

    /// Sends the request and waits for the answer's head.
    pub async fn send(self) -> Result<Response, ProviderError> {
        if let Some(e) = self.error {
            return Err(ProviderError::Connection(e));
        }
        let Some(uri) = self.uri else {
            return Err(ProviderError::Connection("no URL".into()));
        };
        let mut headers = self.headers;
        // As reqwest sent: some gateways refuse requests without one.
        headers
            .entry(ACCEPT)
            .or_insert_with(|| HeaderValue::from_static("*/*"));
        let origin = origin(&uri)?;
        let request = h1::encode_request(&self.method, &uri, &headers, &self.body);
        self.client.exchange(origin, &request, &self.method).await
    }
}

/// `scheme://authority/`: where a connection goes, and what the pool and the spares are keyed by.
fn origin(uri: &Uri) -> Result<Uri, ProviderError> {
    let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
        return Err(ProviderError::Connection(
            "not an absolute http(s) URL".into(),
        ));
    };
    Uri::builder()
        .scheme(scheme.clone())
        .authority(authority.clone())
        .path_and_query("/")
        .build()
        .map_err(|e| ProviderError::Connection(e.to_string()))
}

/// An answer whose body has not been read yet.
pub struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: Body,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

impl Response {
    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body as it arrives; a connection cut mid-body is an `Err` item. Dropping the stream
    /// before its end closes the connection (how an abandoned answer cancels its upstream call).
    pub fn bytes_stream(self) -> BoxStream<'static, Result<Bytes, ProviderError>> {
        futures_util::stream::unfold(self.body, |mut body| async move {
            body.next().await.map(|item| (item, body))
        })
        .boxed()
    }

    /// The whole body parsed as JSON.
    pub async fn json<T: DeserializeOwned>(self) -> Result<T, ProviderError> {
        let mut body = self.body;
        let mut all = Vec::new();
        while let Some(chunk) = body.next().await {
            all.extend_from_slice(&chunk?);
            if all.len() > MAX_JSON_BODY {
                return Err(ProviderError::Malformed(format!(
                    "the answer is larger than {MAX_JSON_BODY} bytes"
                )));
            }
        }
        serde_json::from_slice(&all).map_err(|e| ProviderError::Malformed(e.to_string()))
    }
}

/// A body being read off its connection.
struct Body {
    /// `None` once the body has ended or failed.
    io: Option<TokioIo<Conn>>,
    /// Bytes read and not yet handed out.
    buf: BytesMut,
    decoder: h1::Decoder,
    /// Where the connection goes back once the body is read, when it may carry another request.
    reuse: Option<(Arc<Shared>, Uri)>,
}

impl Body {
    /// The next piece of the body; `None` at its end.
    async fn next(&mut self) -> Option<Result<Bytes, ProviderError>> {
        loop {
            match self.decoder.decode(&mut self.buf) {
                Ok(Some(data)) => {
                    if self.decoder.is_done() {
                        self.release();
                    }
                    return Some(Ok(data));
                }
                Ok(None) if self.decoder.is_done() => {
                    self.release();
                    return None;
                }
                Ok(None) => {}
                Err(e) => return self.fail(&e),
            }
            let io = self.io.as_mut()?;
            self.buf.reserve(h1::READ_SIZE);
            match io.read_buf(&mut self.buf).await {
                Ok(0) => return self.end(),
                // rustls reports a peer that closed without TLS's close_notify as an unexpected
                // end: for a body that runs to the end of the connection that is its end (a
                // plain TCP close could not tell truncation either); others check their length.
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return self.end(),
                Ok(_) => {}
                Err(e) => return self.fail(&e),
            }
        }
    }

    /// The connection ended: the body's end where its framing allows, else an error.
    fn end(&mut self) -> Option<Result<Bytes, ProviderError>> {
        match self.decoder.at_eof() {
            Ok(()) => {
                self.io = None;
                None
            }
            Err(e) => self.fail(&e),
        }
    }

    fn fail(&mut self, e: &std::io::Error) -> Option<Result<Bytes, ProviderError>> {
        self.io = None;
        Some(Err(transport(e)))
    }

    /// The body is complete: its connection goes back to the pool if it can be reused.
    fn release(&mut self) {
        let io = self.io.take();
        if let (Some(io), Some((shared, origin))) = (io, self.reuse.take())
            && self.buf.is_empty()
        {
            shared.pool.put(origin, io.into_inner());
        }
    }
}

/// Sorts a transport failure: a timeout anywhere in the chain is a timeout, anything else a
/// connection problem, described by the error chain (which never holds headers, so no key).
fn transport(e: &(dyn std::error::Error + 'static)) -> ProviderError {
    let mut text = e.to_string();
    let mut source = e.source();
    let mut timed_out = false;
    while let Some(s) = source {
        if s.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        {
            timed_out = true;
        }
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    if timed_out {
        ProviderError::Timeout
    } else {
        ProviderError::Connection(text)
    }
}
