"""Canned CodeCommit GetRepositoryTriggers answers."""

REPOSITORY_ARN = "arn:aws:codecommit:us-east-1:123456789012:website"

TRIGGERS = {
    "configurationId": "6fa51cd8-35c1-EXAMPLE",
    "triggers": [
        {"name": "deploy", "destinationArn": "arn:aws:lambda:us-east-1:123456789012:function:deploy:prod",
         "customData": "token=s3cr3t", "branches": ["main"], "events": ["updateReference"]},
        {"name": "announce", "destinationArn": "arn:aws:sns:us-east-1:123456789012:releases",
         "branches": [], "events": ["all"]},
        # CodeCommit accepts only Lambda and SNS; anything else is shown as a note, not an edge.
        {"name": "odd", "destinationArn": "arn:aws:sqs:us-east-1:123456789012:builds",
         "branches": [], "events": ["all"]},
        "not-a-trigger",
    ],
}
