//! Integration tests: the simulator on real sockets on 127.0.0.1, driven by the
//! `tencent-meeting` wrapper, raw signed requests, raw sockets and the official Python SDK.
//! One test binary with modules, to link once.

mod admin;
mod auth;
mod common;
mod concurrency;
mod dismiss;
mod faults;
mod lookup;
mod python_sdk;
mod rate_limits;
mod recurring;
mod webhooks;
