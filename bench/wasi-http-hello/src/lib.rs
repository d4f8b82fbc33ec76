//! `wasi:http/proxy` hello component for `wasmtime serve`: the baseline `bench/http.sh` compares
//! fnhost against. Answers every request with 200 and the same small JSON body as
//! `bench/native-hello`.

use wasip2::exports::http::incoming_handler::Guest;
use wasip2::http::types::{
    Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam,
};

const BODY: &[u8] = br#"{"message":"Hello, World! This is your first AWS Lambda function."}"#;

struct Hello;

impl Guest for Hello {
    fn handle(_request: IncomingRequest, response_out: ResponseOutparam) {
        let headers = Fields::from_list(&[
            ("content-type".to_string(), b"application/json".to_vec()),
            (
                "content-length".to_string(),
                BODY.len().to_string().into_bytes(),
            ),
        ])
        .expect("valid headers");
        let response = OutgoingResponse::new(headers);
        response.set_status_code(200).expect("valid status");
        let body = response.body().expect("body taken once");
        ResponseOutparam::set(response_out, Ok(response));
        {
            let stream = body.write().expect("stream taken once");
            // The body is far below the 4096-byte limit of one blocking write.
            stream
                .blocking_write_and_flush(BODY)
                .expect("write response body");
        }
        OutgoingBody::finish(body, None).expect("finish body");
    }
}

wasip2::http::proxy::export!(Hello with_types_in wasip2);
