"""Follow-ups (跟进记录), stages and the customer's timeline (issue 13, item 3).

``records``: log a follow-up (resets the reclaim clock, the first one makes a new customer
contacted); ``stages``: move a customer along its stages with a reason; ``timeline``:
assignments, follow-ups and stage changes together, newest first; ``reminders``: the
scheduled job that reminds owners when a follow-up's next date comes.
"""
