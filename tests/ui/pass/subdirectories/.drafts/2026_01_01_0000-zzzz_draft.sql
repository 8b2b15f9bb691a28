-- revision: zzzz
this is a draft and is not read
