mod auth;
mod errors;
mod librechat;
mod ops;
mod postgres;
mod recovery;
mod shutdown;
mod two_factor;
