module github.com/aliasd/aliasd

go 1.26.8
