mod auth;
mod errors;
mod ops;
mod postgres;
mod shutdown;
