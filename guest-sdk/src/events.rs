//! Typed AWS events and API Gateway responses, from the `aws_lambda_events` crate.
//!
//! Take one as a handler's event type (`fn f(event: S3Event, ctx: &Context)`) or return one of
//! the response types. The structs are `#[non_exhaustive]`: build responses from `default()` and
//! set fields. S3 object keys arrive URL-encoded; decode them with [`crate::url_decode_key`].
//! Everything else in `aws_lambda_events` is reachable through [`aws_lambda_events`].

pub use aws_lambda_events;
pub use aws_lambda_events::apigw::{
    ApiGatewayProxyRequest, ApiGatewayProxyRequestContext, ApiGatewayProxyResponse,
    ApiGatewayV2httpRequest, ApiGatewayV2httpRequestContext, ApiGatewayV2httpResponse,
};
pub use aws_lambda_events::encodings::Body;
pub use aws_lambda_events::eventbridge::EventBridgeEvent;
pub use aws_lambda_events::http;
pub use aws_lambda_events::query_map::QueryMap;
pub use aws_lambda_events::s3::{S3Bucket, S3Entity, S3Event, S3EventRecord, S3Object};

/// An EventBridge (CloudWatch Events) scheduled event: `detail-type` is `Scheduled Event`,
/// `source` is `aws.events` and `detail` is `{}`.
pub type ScheduledEvent = EventBridgeEvent<serde_json::Value>;

#[cfg(test)]
mod tests {
    //! The samples are the ones in the project's Lambda reference (§5.1, §5.2, §5.4, §5.5).

    use super::*;

    fn parse<T: serde::de::DeserializeOwned>(json: &str) -> T {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn rest_api_v1_proxy_request() {
        let req: ApiGatewayProxyRequest = parse(include_str!("../testdata/apigw-rest-v1.json"));
        assert_eq!(req.http_method, http::Method::GET);
        assert_eq!(req.resource.as_deref(), Some("/items/{id}"));
        assert_eq!(req.path.as_deref(), Some("/items/42"));
        assert_eq!(
            req.headers["host"],
            "abc123.execute-api.us-east-1.amazonaws.com"
        );
        assert_eq!(req.query_string_parameters.first("verbose"), Some("1"));
        assert_eq!(req.path_parameters["id"], "42");
        assert!(
            req.stage_variables.is_empty(),
            "null stageVariables is an empty map"
        );
        assert_eq!(req.body, None);
        assert!(!req.is_base64_encoded);
        let rc = &req.request_context;
        assert_eq!(rc.stage.as_deref(), Some("prod"));
        assert_eq!(rc.path.as_deref(), Some("/prod/items/42"));
        assert_eq!(rc.request_time_epoch, 1_772_446_542_000);
        assert_eq!(rc.identity.source_ip.as_deref(), Some("198.51.100.7"));
    }

    #[test]
    fn http_api_v2_request() {
        let req: ApiGatewayV2httpRequest = parse(include_str!("../testdata/apigw-http-v2.json"));
        assert_eq!(req.version.as_deref(), Some("2.0"));
        assert_eq!(req.route_key.as_deref(), Some("POST /orders"));
        assert_eq!(req.raw_path.as_deref(), Some("/orders"));
        assert_eq!(req.raw_query_string.as_deref(), Some("dry=1&tag=a&tag=b"));
        assert_eq!(
            req.cookies.as_deref(),
            Some(&["session=abc".to_string(), "theme=dark".to_string()][..])
        );
        assert_eq!(req.headers["content-type"], "application/json");
        assert_eq!(req.query_string_parameters.first("dry"), Some("1"));
        assert_eq!(req.body.as_deref(), Some(r#"{"sku":"X1"}"#));
        let http = &req.request_context.http;
        assert_eq!(http.method, http::Method::POST);
        assert_eq!(http.path.as_deref(), Some("/orders"));
        assert_eq!(http.source_ip.as_deref(), Some("198.51.100.7"));
        assert_eq!(req.request_context.time_epoch, 1_772_446_542_000);
    }

    #[test]
    fn s3_put_event() {
        let event: S3Event = parse(include_str!("../testdata/s3-put.json"));
        assert_eq!(event.records.len(), 1);
        let record = &event.records[0];
        assert_eq!(record.event_name.as_deref(), Some("ObjectCreated:Put"));
        assert_eq!(record.event_source.as_deref(), Some("aws:s3"));
        assert_eq!(record.event_time.timestamp_millis(), 1_772_446_542_517);
        assert_eq!(record.s3.bucket.name.as_deref(), Some("photos"));
        assert_eq!(record.s3.bucket.arn.as_deref(), Some("arn:aws:s3:::photos"));
        let object = &record.s3.object;
        assert_eq!(object.key.as_deref(), Some("2026/red+flower.jpg"));
        assert_eq!(
            crate::url_decode_key(object.key.as_deref().unwrap()),
            "2026/red flower.jpg"
        );
        assert_eq!(object.size, Some(48_213));
        assert_eq!(
            object.e_tag.as_deref(),
            Some("9b2cf535f27731c974343645a3985328")
        );
        assert_eq!(
            record.response_elements["x-amz-request-id"],
            "4F2A9C1B7D3E5A60"
        );
    }

    #[test]
    fn s3_delete_event_has_no_size() {
        let json = include_str!("../testdata/s3-put.json")
            .replace("ObjectCreated:Put", "ObjectRemoved:Delete")
            .replace(
                r#""size": 48213, "eTag": "9b2cf535f27731c974343645a3985328", "#,
                "",
            );
        let event: S3Event = parse(&json);
        let object = &event.records[0].s3.object;
        assert_eq!(object.size, None);
        assert_eq!(object.e_tag, None);
        assert_eq!(object.sequencer.as_deref(), Some("0065E2F0A1B2C3D4E5"));
    }

    #[test]
    fn scheduled_event() {
        let event: ScheduledEvent = parse(include_str!("../testdata/scheduled.json"));
        assert_eq!(event.detail_type, "Scheduled Event");
        assert_eq!(event.source, "aws.events");
        assert_eq!(event.account.as_deref(), Some("000000000000"));
        assert_eq!(
            event.time.unwrap().to_rfc3339(),
            "2026-03-02T10:15:00+00:00"
        );
        assert_eq!(
            event.resources.unwrap(),
            ["arn:aws:events:us-east-1:000000000000:rule/nightly-report"]
        );
        assert_eq!(event.detail, serde_json::json!({}));
    }

    #[test]
    fn proxy_response_serializes_to_the_proxy_shape() {
        let mut response = ApiGatewayProxyResponse::default();
        response.status_code = 201;
        response.headers.insert(
            "content-type",
            http::HeaderValue::from_static("application/json"),
        );
        response.body = Some(Body::Text(r#"{"id":9}"#.into()));
        let json = serde_json::to_value(&response).unwrap();
        assert_eq!(json["statusCode"], 201);
        assert_eq!(json["headers"]["content-type"], "application/json");
        assert_eq!(json["body"], r#"{"id":9}"#);
        assert_eq!(json["isBase64Encoded"], false);
    }
}
