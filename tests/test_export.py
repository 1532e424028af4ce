"""The export formats name each new kind of edge by what distinguishes it."""
from flows.export import edge_label, to_dot, to_mermaid

URL = "https://abcdefghijklmnop.lambda-url.us-east-1.on.aws/"
FN = "arn:aws:lambda:us-east-1:123456789012:function:bill"
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:orders"


def edge(kind, **attributes):
    return {"source": URL, "target": FN, "kind": kind, "attributes": attributes}


def test_it_labels_the_new_edge_kinds_by_what_tells_them_apart():
    assert edge_label(edge("function_url", auth_type="NONE", alias="live")) == "function_url NONE (live)"
    assert edge_label(edge("cognito_trigger", trigger="PreSignUp")) == "cognito_trigger PreSignUp"
    assert edge_label(edge("state_machine_task", path="Fan out[0]/Charge")) == "state_machine_task Fan out[0]/Charge"
    assert edge_label(edge("logs_subscription", filter_name="errors")) == "logs_subscription errors"
    assert edge_label(edge("msk", topics=["orders", "refunds", "x"])) == "msk orders,refunds"


def test_urls_and_state_machines_draw_in_dot_and_mermaid():
    document = {"nodes": [
        {"id": URL, "type": "lambda_function_url", "name": "abcdefghijklmnop.lambda-url.us-east-1.on.aws"},
        {"id": FN, "type": "lambda_function", "name": "bill"},
        {"id": MACHINE, "type": "stepfunctions_state_machine", "name": "orders"}],
        "edges": [edge("function_url", auth_type="NONE"),
                  {"source": MACHINE, "target": FN, "kind": "state_machine_task", "attributes": {"path": "Charge"}}]}
    dot = to_dot(document)
    assert f'"{URL}" -> "{FN}" [label="function_url NONE"]' in dot
    assert "(stepfunctions_state_machine)" in dot
    mermaid = to_mermaid(document)
    assert 'n0 -->|"function_url NONE"| n1' in mermaid
    assert 'n2 -->|"state_machine_task Charge"| n1' in mermaid
