"""State machine definitions shaped as Step Functions returns them (DescribeStateMachine)."""
import json

ACCOUNT = "123456789012"
FN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function"
CHILD = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:ship"

NESTED_DEFINITION = {
    "StartAt": "Validate",
    "States": {
        "Validate": {"Type": "Task", "Resource": f"{FN}:validate", "Next": "Fan out",
                     "Retry": [{"ErrorEquals": ["States.ALL"]}]},
        "Fan out": {"Type": "Parallel", "Next": "Each item", "Branches": [
            {"StartAt": "Charge", "States": {"Charge": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": f"{FN}:charge:live", "Payload.$": "$"}, "End": True}}},
            {"StartAt": "Approve", "States": {"Approve": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": "approve", "Payload": {"token.$": "$$.Task.Token"}},
                "TimeoutSeconds": 3600, "End": True}}}]},
        "Each item": {"Type": "Map", "Next": "Ship", "ItemProcessor": {
            "StartAt": "Pack", "States": {
                "Pack": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                         "Parameters": {"FunctionName": f"{ACCOUNT}:function:pack"}, "Next": "Dynamic"},
                "Dynamic": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                            "Parameters": {"FunctionName.$": "$.handler"}, "End": True}}}},
        "Ship": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                 "Parameters": {"StateMachineArn": CHILD}, "Next": "Notify"},
        "Notify": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                   "Parameters": {"TopicArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:done"}, "End": True},
    },
}

DESCRIBED_MACHINE = {
    "stateMachineArn": f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:orders",
    "name": "orders", "status": "ACTIVE", "type": "STANDARD",
    "definition": json.dumps(NESTED_DEFINITION),
    "roleArn": f"arn:aws:iam::{ACCOUNT}:role/orders-sfn",
    "loggingConfiguration": {"level": "ERROR", "includeExecutionData": False},
    "tracingConfiguration": {"enabled": True},
}
