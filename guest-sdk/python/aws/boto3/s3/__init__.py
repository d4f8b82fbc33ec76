"""boto3.s3: the transfer configuration (`boto3.s3.transfer.TransferConfig`)."""
