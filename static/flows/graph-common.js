/* Shared by the graph page's scripts: the node and edge vocabulary as drawn, and DOM helpers
 * that only ever set text (AWS strings never pass through innerHTML).
 */
(function (scope) {
  "use strict";

  var TYPES = {
    lambda_function: { label: "Lambda function", colour: "#d86613", shape: "round-rectangle", noun: "function", nouns: "functions", plural: "Lambda functions" },
    alb: { label: "Load balancer", colour: "#6b40d8", shape: "round-rectangle", noun: "load balancer", nouns: "load balancers", plural: "Load balancers" },
    api_gateway_rest: { label: "REST API", colour: "#c925d1", shape: "round-rectangle", noun: "REST API", nouns: "REST APIs", plural: "REST APIs" },
    api_gateway_v2: { label: "HTTP/WebSocket API", colour: "#a3195b", shape: "round-rectangle", noun: "HTTP/WebSocket API", nouns: "HTTP/WebSocket APIs", plural: "HTTP/WebSocket APIs" },
    sns_topic: { label: "SNS topic", colour: "#c7131f", shape: "ellipse", noun: "topic", nouns: "topics", plural: "SNS topics" },
    sqs_queue: { label: "SQS queue", colour: "#a0226c", shape: "round-rectangle", noun: "queue", nouns: "queues", plural: "SQS queues" },
    dynamodb_table: { label: "DynamoDB table", colour: "#3b48cc", shape: "round-rectangle", noun: "table", nouns: "tables", plural: "DynamoDB tables" },
    kinesis_stream: { label: "Kinesis stream", colour: "#0f7b8a", shape: "round-rectangle", noun: "stream", nouns: "streams", plural: "Kinesis streams" },
    s3_bucket: { label: "S3 bucket", colour: "#3f8624", shape: "round-rectangle", noun: "bucket", nouns: "buckets", plural: "S3 buckets" },
    codecommit_repository: { label: "CodeCommit repository", colour: "#2e73b8", shape: "round-rectangle", noun: "repository", nouns: "repositories", plural: "CodeCommit repositories" },
    eventbridge_rule: { label: "EventBridge rule", colour: "#8a6d00", shape: "ellipse", noun: "rule", nouns: "rules", plural: "EventBridge rules" },
    eventbridge_bus: { label: "EventBridge bus", colour: "#6b5a1e", shape: "round-rectangle", noun: "bus", nouns: "buses", plural: "EventBridge buses" },
    iam_role: { label: "IAM role", colour: "#5a6b7b", shape: "ellipse", noun: "role", nouns: "roles", plural: "IAM roles" },
    lambda_function_url: { label: "Function URL", colour: "#b35c00", shape: "ellipse", noun: "function URL", nouns: "function URLs", plural: "Function URLs" },
    stepfunctions_state_machine: { label: "State machine", colour: "#b0084d", shape: "round-rectangle", noun: "state machine", nouns: "state machines", plural: "Step Functions state machines" },
    cognito_user_pool: { label: "Cognito user pool", colour: "#7a3e9d", shape: "round-rectangle", noun: "user pool", nouns: "user pools", plural: "Cognito user pools" },
    iot_topic_rule: { label: "IoT topic rule", colour: "#1b7f5f", shape: "ellipse", noun: "topic rule", nouns: "topic rules", plural: "IoT topic rules" },
    log_group: { label: "Log group", colour: "#4d6b2e", shape: "round-rectangle", noun: "log group", nouns: "log groups", plural: "CloudWatch log groups" },
    ses_receipt_rule: { label: "SES receipt rule", colour: "#2b5f9e", shape: "ellipse", noun: "receipt rule", nouns: "receipt rules", plural: "SES receipt rules" },
    appsync_api: { label: "AppSync API", colour: "#c2185b", shape: "round-rectangle", noun: "GraphQL API", nouns: "GraphQL APIs", plural: "AppSync APIs" },
    msk_cluster: { label: "MSK cluster", colour: "#5b4a8a", shape: "round-rectangle", noun: "MSK cluster", nouns: "MSK clusters", plural: "MSK clusters" },
    kafka_cluster: { label: "Kafka cluster", colour: "#3d3d5c", shape: "round-rectangle", noun: "Kafka cluster", nouns: "Kafka clusters", plural: "Self-managed Kafka clusters" },
    mq_broker: { label: "Amazon MQ broker", colour: "#8c3b1e", shape: "round-rectangle", noun: "broker", nouns: "brokers", plural: "Amazon MQ brokers" },
    documentdb_cluster: { label: "DocumentDB cluster", colour: "#2d4f8a", shape: "round-rectangle", noun: "DocumentDB cluster", nouns: "DocumentDB clusters", plural: "DocumentDB clusters" },
    unknown: { label: "Other", colour: "#8792a2", shape: "ellipse", noun: "other", nouns: "others", plural: "Other resources" }
  };
  var KINDS = {
    alb: "#6b40d8", api_gateway: "#c925d1", api_gateway_v2: "#a3195b", sns: "#c7131f",
    sqs: "#a0226c", dynamodb_stream: "#3b48cc", kinesis: "#0f7b8a", s3: "#3f8624",
    codecommit: "#2e73b8", eventbridge: "#8a6d00", destination: "#2f7d4f",
    dead_letter: "#b83227", execution_role: "#a7b1bd",
    function_url: "#b35c00", state_machine_task: "#b0084d", cognito_trigger: "#7a3e9d",
    iot_rule: "#1b7f5f", logs_subscription: "#4d6b2e", ses: "#2b5f9e", appsync: "#c2185b",
    msk: "#5b4a8a", kafka: "#3d3d5c", mq: "#8c3b1e", documentdb: "#2d4f8a"
  };
  var KIND_LABELS = {
    alb: "ALB", api_gateway: "API Gateway", api_gateway_v2: "API Gateway v2", sns: "SNS",
    sqs: "SQS", dynamodb_stream: "DynamoDB stream", kinesis: "Kinesis", s3: "S3",
    codecommit: "CodeCommit", eventbridge: "EventBridge", destination: "Destination",
    dead_letter: "Dead-letter queue", execution_role: "Execution role",
    function_url: "Function URL", state_machine_task: "State machine task", cognito_trigger: "Cognito trigger",
    iot_rule: "IoT rule", logs_subscription: "Logs subscription", ses: "SES", appsync: "AppSync",
    msk: "MSK", kafka: "Kafka", mq: "Amazon MQ", documentdb: "DocumentDB"
  };
  // Edge attributes that repeat what the graph already shows, left out of the inspector.
  var EDGE_ATTRIBUTES_HIDDEN = { target_arn: 1, event_source_arn: 1, invoke_source_arns: 1 };


  function el(tag, props) {
    var node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (k) {
        if (k === "text") node.textContent = props[k];
        else if (k === "className") node.className = props[k];
        else if (k === "onclick") node.addEventListener("click", props[k]);
        else if (k === "dataset") Object.keys(props[k]).forEach(function (d) { node.dataset[d] = props[k][d]; });
        else node.setAttribute(k, props[k]);
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function typeInfo(type) { return TYPES[type] || TYPES.unknown; }

  // Colours are set through the CSSOM: the CSP forbids inline style attributes and elements.
  function coloured(tag, props, colour) {
    var node = el(tag, props);
    node.style.backgroundColor = colour;
    return node;
  }

  function swatch(type) { return coloured("span", { className: "fs-swatch" }, typeInfo(type).colour); }

  function plural(count, word) { return count + " " + word + (count === 1 ? "" : "s"); }

  // The overlays' small element maker: a class and text only (text is never parsed as HTML).
  function textEl(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      });
  }

  // graph.js rebuilds the inspector on every selection and refresh: an overlay's section
  // (element id sectionId) is drawn again by render() whenever it has gone.
  function watchInspector(sectionId, render) {
    var body = document.getElementById("fs-inspector-body");
    if (!body) return;
    new MutationObserver(function () {
      if (!document.getElementById(sectionId)) render();
    }).observe(body, { childList: true });
  }

  function addStylesheet(href) {
    if (!href) return;
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = href;
    document.head.appendChild(link);
  }

  scope.FlowscopeCommon = {
    TYPES: TYPES, KINDS: KINDS, KIND_LABELS: KIND_LABELS, EDGE_ATTRIBUTES_HIDDEN: EDGE_ATTRIBUTES_HIDDEN,
    el: el, clear: clear, typeInfo: typeInfo, coloured: coloured, swatch: swatch, plural: plural,
    textEl: textEl, getJSON: getJSON, watchInspector: watchInspector, addStylesheet: addStylesheet
  };
})(window);
